"""Offset paging of the JSON API's lists: checked arguments and the offset of the next page."""

import pytest

from tests.support.helpers import issue, post_event

ENTITIES = "/v1/blueprints/jiraIssue/entities"


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "limit=x"])
def test_bad_paging_is_400(client, query):
    response = client.get(f"/v1/blueprints/jiraIssue/entities?{query}")
    assert response.status_code == 400 and response.json["reason"] == "invalid_paging"


@pytest.mark.parametrize("query, page, following", [
    ("limit=2", ["PI-1", "PI-2"], 2), ("limit=2&offset=2", ["PI-3"], None),
    ("limit=3", ["PI-1", "PI-2", "PI-3"], None), ("offset=1&limit=1", ["PI-2"], 2),
    ("offset=5", [], None),
])
def test_next_is_the_following_offset_and_null_on_the_last_page(client, query, page, following):
    for key in ("PI-1", "PI-2", "PI-3"):
        assert post_event(client, issue(key)).status_code == 202

    answer = client.get(f"{ENTITIES}?{query}").json

    assert [e["identifier"] for e in answer["entities"]] == page
    assert (answer["total"], answer["next"]) == (3, following)


def test_limit_and_offset_default_to_100_and_0(client):
    answer = client.get(ENTITIES).json

    assert (answer["limit"], answer["offset"], answer["next"]) == (100, 0, None)
