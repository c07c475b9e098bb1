"""The playground page: running a configuration over a stored or pasted event, and its errors."""

from app.runtime import runtime_of
from tests.support.helpers import SECRET, issue, post_event
from tests.support.ui_helpers import TOKEN, text, ui_csrf, ui_settings_overrides  # noqa: F401  (the fixtures)


def test_playground_runs_a_stored_event_without_touching_the_catalog(client, csrf, engine):
    event_id = post_event(client, issue("PI-1", "Hello")).json["eventId"]
    config = text(client, f"/playground?event={event_id}")
    assert "${JIRA_WEBHOOK_SECRET}" in config and SECRET not in config
    source = (runtime_of(client.application).configs["jira"].source)
    edited = open(source).read().replace("summary: .body.issue.fields.summary",
                                         "summary: .body.issue.fields.summary | ascii_upcase")
    answer = client.post("/playground", data={"csrf_token": csrf, "config_text": edited,
                                              "source": "event", "event_id": event_id,
                                              "action": "run"})
    assert "&#34;summary&#34;: &#34;HELLO&#34;" in answer.get_data(as_text=True)
    assert "&#34;summary&#34;: &#34;Hello&#34;" in text(client, f"/events/{event_id}")
    stored = client.get("/v1/blueprints/jiraIssue/entities/PI-1",
                        headers={"Authorization": f"Bearer {TOKEN}"}).json["entity"]
    assert stored["properties"]["summary"] == "Hello"


def test_playground_reports_bad_input_precisely(client, csrf):
    config = open(runtime_of(client.application).configs["jira"].source).read()
    cases = [({"source": "paste", "payload": "[1, 2"}, "body is not valid JSON"),
             ({"source": "event", "event_id": "x"}, "choose a stored event"),
             ({"source": "event", "event_id": "424242"}, "no event 424242"),
             ({"source": "paste", "payload": "{}", "config_text": "a: [b"}, "not valid YAML")]
    for form, message in cases:
        answer = client.post("/playground", data={"csrf_token": csrf, "config_text": config,
                                                  "action": "run", **form})
        assert answer.status_code == 422 and message in answer.get_data(as_text=True)


def test_playground_shows_an_ignored_event(client, csrf):
    config = open(runtime_of(client.application).configs["jira"].source).read()
    answer = client.post("/playground", data={"csrf_token": csrf, "config_text": config,
                                              "action": "run", "source": "paste",
                                              "payload": '{"webhookEvent": "sprint_started"}'})
    assert "No mapping matched" in answer.get_data(as_text=True)
