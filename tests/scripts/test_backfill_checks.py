"""What the backfill checks before it pages Jira, and how it stops, against the real app served over HTTP:
each wrong flag exits 2 naming it, a lost endpoint stops the run (exit 1), the service's failure reasons
and no credentials are printed."""

from __future__ import annotations

import pytest
import requests

from scripts.backfill.cli import main
from scripts.backfill.preflight import PROBE_EVENT
from tests.support.fake_endpoint import FakeEndpoint
from tests.support.fake_http import JsonServer, Request
from tests.support.fake_jira import FakeJira, make_issues
from tests.support.helpers import SECRET

CATALOG_TOKEN = "backfill-checks-catalog-token"
URL_TOKEN = "url-token-value-123"


@pytest.fixture
def settings_overrides(database_url, monkeypatch):
    """The served app with a known API token and, for Jira versions that cannot sign, a URL token."""
    monkeypatch.setenv("JIRA_WEBHOOK_TOKEN", URL_TOKEN)
    return {"DATABASE_URL": database_url, "JIRA_WEBHOOK_SECRET": SECRET, "CATALOG_API_TOKEN": CATALOG_TOKEN,
            "JIRA_WEBHOOK_TOKEN": URL_TOKEN}


def backfill(jira: FakeJira, endpoint: str, tmp_path, *extra: str, secret: str | None = SECRET) -> int:
    """Run the backfill against ``jira`` into ``endpoint``."""
    return main(["--jira-url", jira.url, "--jira-user", jira.user, "--jira-token", jira.token,
                 "--endpoint", endpoint, "--concurrency", "2", "--retries", "2", "--retry-base", "0.01",
                 "--checkpoint", str(tmp_path / "cp.json"), *(["--secret", secret] if secret else []), *extra])


def api(base_url: str, path: str) -> dict:
    """A read of the app's API with its token."""
    return requests.get(f"{base_url}{path}", headers={"Authorization": f"Bearer {CATALOG_TOKEN}"},
                        timeout=10).json()


def searched(jira: FakeJira) -> int:
    """How many search pages Jira was asked for."""
    return len([r for r in jira.log if "/search" in r.path])


def test_the_probe_is_recorded_ignored_and_the_import_goes_on(live_server, tmp_path, capsys):
    with FakeJira("server", make_issues(4)) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira", tmp_path) == 0
    err = capsys.readouterr().err
    assert (f"endpoint checked: {live_server}/webhooks/jira accepted a signed probe delivery, recorded ignored "
            f"(no_mapping_matched: no mapping's filter matched: {PROBE_EVENT})") in err
    events = api(live_server, "/v1/events?limit=100")["events"]
    probes = [e for e in events if e["eventType"] == PROBE_EVENT]
    assert [(p["status"], p["reason"]) for p in probes] == [("ignored", "no_mapping_matched")]
    assert {e["identifier"] for e in api(live_server, "/v1/blueprints/jiraIssue/entities")["entities"]} == {
        f"PI-{n}" for n in range(1, 5)}


@pytest.mark.parametrize(("secret", "said"), [
    ("not-the-secret", "HTTP 401 invalid_signature: signature does not match the request body; check --secret "
                       "(env JIRA_WEBHOOK_SECRET)"),
    (None, "HTTP 401 missing_signature: missing signature header X-Hub-Signature; no --secret was given"),
])
def test_a_wrong_or_missing_secret_exits_2_before_paging_jira(live_server, tmp_path, capsys, monkeypatch,
                                                              secret, said):
    monkeypatch.delenv("JIRA_WEBHOOK_SECRET", raising=False)
    with FakeJira("server", make_issues(4)) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira", tmp_path, secret=secret) == 2
    assert said in capsys.readouterr().err
    assert searched(jira) == 0 and api(live_server, "/v1/blueprints/jiraIssue/entities")["entities"] == []


def test_an_unknown_webhook_path_exits_2_naming_it(live_server, tmp_path, capsys):
    with FakeJira("server", make_issues(4)) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira-catalogue", tmp_path) == 2
    err = capsys.readouterr().err
    assert "HTTP 404 unknown_webhook: no enabled webhook configuration 'jira-catalogue'" in err
    assert "check the webhook path in --endpoint (env PORT_URL)" in err and searched(jira) == 0


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9/webhooks/jira", "{live}/bridge/webhooks/jira"])
def test_a_wrong_address_exits_2_naming_the_flag(live_server, tmp_path, capsys, endpoint):
    with FakeJira("server", make_issues(4)) as jira:
        assert backfill(jira, endpoint.format(live=live_server), tmp_path) == 2
    err = capsys.readouterr().err
    assert "check --endpoint (env PORT_URL)" in err and searched(jira) == 0
    assert ("does not answer" if ":9/" in endpoint else "no jira-catalog-bridge answers at") in err


class UnwellService(JsonServer):
    """A service whose database does not answer: /healthz says so, as the app's does."""

    def route(self, request: Request):
        return 503, {"ok": False, "reason": "database_unavailable", "message": "the database does not answer"}, {}


def test_an_unwell_service_stops_the_run_with_its_reason(tmp_path, capsys):
    with UnwellService() as service, FakeJira("server", make_issues(2)) as jira:
        assert backfill(jira, f"{service.url}/webhooks/jira", tmp_path) == 1
    assert (f"error: the service is unwell: GET {service.url}/healthz answered HTTP 503 (database_unavailable: "
            f"the database does not answer)") in capsys.readouterr().err
    assert searched(jira) == 0


def test_a_url_token_endpoint_is_checked_and_printed_without_its_token(live_server, tmp_path, capsys):
    with FakeJira("server", make_issues(2)) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira?token={URL_TOKEN}", tmp_path, secret=None) == 0
    captured = capsys.readouterr()
    assert f"endpoint checked: {live_server}/webhooks/jira?token=*** accepted" in captured.err
    assert URL_TOKEN not in captured.out + captured.err


def test_credentials_in_the_endpoint_url_are_never_printed(tmp_path, capsys):
    with FakeJira("server", make_issues(2)) as jira:
        assert backfill(jira, "http://ops:pa55word@127.0.0.1:9/webhooks/jira", tmp_path) == 2
    err = capsys.readouterr().err
    assert "http://ops:***@127.0.0.1:9/healthz" in err and "pa55word" not in err


def test_prune_without_a_catalog_token_exits_2_before_importing(live_server, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CATALOG_API_TOKEN", raising=False)
    with FakeJira("server", make_issues(4)) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira", tmp_path, "--prune") == 2
    assert "--prune lists the catalog's entities through its API: pass --catalog-token or set " \
           "CATALOG_API_TOKEN" in capsys.readouterr().err
    assert searched(jira) == 0 and api(live_server, "/v1/events")["events"] == []


def test_prune_with_a_refused_catalog_token_exits_2_before_importing(live_server, tmp_path, capsys):
    with FakeJira("server", make_issues(4)) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira", tmp_path, "--prune",
                        "--catalog-token", "not-the-token") == 2
    err = capsys.readouterr().err
    assert "the catalog API refused --catalog-token (env CATALOG_API_TOKEN): HTTP 401 invalid_api_token" in err
    assert "not-the-token" not in err
    assert searched(jira) == 0 and api(live_server, "/v1/blueprints/jiraIssue/entities")["entities"] == []


def test_the_services_failure_reason_is_printed(live_server, tmp_path, capsys):
    issues = make_issues(3)
    issues[1]["key"] = None
    with FakeJira("server", issues) as jira:
        assert backfill(jira, f"{live_server}/webhooks/jira", tmp_path) == 1
    captured = capsys.readouterr()
    assert ("failed: 10002: missing_identifier: the identifier expression produced no value "
            "(entity.identifier)") in captured.err
    assert "applied=2 " in captured.out and "failed=1 " in captured.out


def test_posting_one_event_per_request_five_events_given_up_stop_the_run(tmp_path, capsys):
    with FakeEndpoint(SECRET) as endpoint, FakeJira("cloud", make_issues(60), page_cap=10) as jira:
        endpoint.drop_after = 3
        code = backfill(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--concurrency", "1", "--single")
    captured = capsys.readouterr()
    assert code == 1 and "stopped: 5 deliveries in a row were given up" in captured.err
    assert "posted=3 " in captured.out and "failed=5 " in captured.out and (tmp_path / "cp.json").exists()


def test_an_endpoint_lost_during_the_run_stops_it_instead_of_paging_on(tmp_path, capsys):
    with FakeEndpoint(SECRET) as endpoint, FakeJira("cloud", make_issues(60), page_cap=10) as jira:
        endpoint.drop_after = 3
        code = backfill(jira, f"{endpoint.url}/webhooks/jira", tmp_path, "--concurrency", "1", "--page-events", "3")
    captured = capsys.readouterr()
    assert code == 1
    assert "stopped: 5 deliveries in a row were given up after every retry, the endpoint is down or unreachable" \
        in captured.err
    # The first page of 3 landed; then PI-4..6, PI-7..9, PI-10 (the end of Jira's page), PI-11..13, PI-14..16.
    assert "ConnectionError" in captured.err and "posted=3 " in captured.out and "failed=13 " in captured.out
    assert searched(jira) < 6 and (tmp_path / "cp.json").exists()
