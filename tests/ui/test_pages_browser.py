"""The UI in Chromium: the entity list stays one line a row inside its box, and the playground
keeps the configuration it was started from selected after a run. Screenshots land in tmp_path."""

from tests.support.helpers import issue, post_event
from tests.support.ui_helpers import (  # noqa: F401  (the fixtures)
    TOKEN,
    browser_page,
    chromium,
    ui_csrf,
    ui_settings_overrides,
)

LONG_SUMMARY = ("Checkout fails for customers paying with stored cards after the gateway migration "
                "https://payments.example.com/incidents/" + "a1b2c3d4" * 20 + " and retries never succeed")


def sign_in(page, base):
    page.goto(base + "/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_entity_list_rows_are_one_line_and_the_table_fits_its_box(client, live_server, page, tmp_path):
    post_event(client, issue("OPS-1", LONG_SUMMARY))
    for n in range(2, 8):
        post_event(client, issue(f"OPS-{n}", f"Short summary {n}"))
    sign_in(page, live_server)
    page.goto(live_server + "/entities/jiraIssue")
    page.screenshot(path=str(tmp_path / "entities.png"), full_page=True)
    heights = page.eval_on_selector_all("main table tbody tr", "rows => rows.map(r => r.offsetHeight)")
    assert len(heights) == 7 and max(heights) - min(heights) <= 2, heights
    box = page.eval_on_selector("main", "m => m.getBoundingClientRect().right - parseFloat(getComputedStyle(m)"
                                ".paddingRight)")
    assert page.eval_on_selector("main table", "t => t.getBoundingClientRect().right") <= box + 1
    title = page.locator("main table tbody tr").first.locator("td").nth(1)
    assert title.get_attribute("title") == f"OPS-1 - {LONG_SUMMARY}"
    assert title.evaluate("td => td.scrollWidth > td.clientWidth && getComputedStyle(td).textOverflow")\
        == "ellipsis"


def test_playground_keeps_the_chosen_configuration_selected_after_a_run(client, live_server, page, tmp_path):
    post_event(client, issue("OPS-1"))
    sign_in(page, live_server)
    page.goto(live_server + "/playground")
    page.select_option("select[name=config]", "jira")
    page.click("text=Load")
    page.wait_for_url("**config=jira**")
    assert "identifier: jira\n" in page.input_value("#config_text")
    page.click("button[value=run]")
    page.wait_for_selector("#result .card")
    page.screenshot(path=str(tmp_path / "playground.png"), full_page=True)
    assert page.input_value("select[name=config]") == "jira"
    assert "identifier: jira\n" in page.input_value("#config_text")


def test_entity_page_folds_the_unset_properties_until_asked(client, live_server, page, tmp_path):
    post_event(client, issue("OPS-1", "Hello"))
    sign_in(page, live_server)
    page.goto(live_server + "/entities/jiraIssue/OPS-1")
    page.screenshot(path=str(tmp_path / "entity-folded.png"), full_page=True)
    unset = page.locator("details.unset code", has_text="resolutionDate")
    assert page.locator("table.props").first.is_visible() and not unset.is_visible()
    page.click("details.unset summary")
    assert unset.is_visible()
    page.screenshot(path=str(tmp_path / "entity-open.png"), full_page=True)
