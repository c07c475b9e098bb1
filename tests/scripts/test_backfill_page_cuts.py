"""How the backfill cuts its events into pages the service takes."""

from __future__ import annotations

from scripts.backfill.pages import cut_pages, join_page


def test_pages_hold_at_most_the_line_count():
    lines = [b"x"] * 25
    assert [len(page) for page in cut_pages(lines, 10)] == [10, 10, 5]


def test_pages_stay_within_the_byte_limit_newlines_included():
    lines = [b"a" * 30] * 10
    pages = list(cut_pages(lines, 100, max_bytes=100))
    assert [len(page) for page in pages] == [3, 3, 3, 1]  # 3 lines and 2 newlines = 92 bytes; 4 would be 123
    assert all(len(join_page(lines, page)) <= 100 for page in pages)
    assert [index for page in pages for index in page] == list(range(10))


def test_a_line_over_the_byte_limit_goes_alone():
    lines = [b"a" * 5, b"b" * 200, b"c" * 5]
    assert list(cut_pages(lines, 100, max_bytes=100)) == [[0], [1], [2]]


def test_no_lines_no_pages():
    assert list(cut_pages([], 10)) == []
