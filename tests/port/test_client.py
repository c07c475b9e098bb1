"""PortClient against the fake Port over real HTTP."""

import pytest

from app.port.client import PortClient, PortPermanentError, PortRetryableError
from app.port.ratelimit import RETRY_AFTER_CEILING, seconds_until


def test_upsert_stores_the_seed_entity(port_client, fake_port, seed_entity):
    port_client.upsert("jiraIssue", seed_entity, merge=True, create_missing=False)

    stored = fake_port.entity("jiraIssue", "PI-1")
    assert stored["properties"] == seed_entity["properties"]
    [request] = fake_port.requests("POST", "/v1/blueprints/jiraIssue/entities")
    assert request.query == {"upsert": ["true"], "merge": ["true"],
                             "create_missing_related_entities": ["false"]}


def test_token_is_fetched_once_and_reused(port_client, fake_port, seed_entity):
    for _ in range(3):
        port_client.upsert("jiraIssue", seed_entity)

    assert len(fake_port.requests("POST", "/v1/auth/access_token")) == 1


def test_revoked_token_is_refreshed_once_on_401(port_client, fake_port, seed_entity):
    port_client.upsert("jiraIssue", seed_entity)
    fake_port.revoke_tokens()

    port_client.upsert("jiraIssue", seed_entity)

    assert len(fake_port.requests("POST", "/v1/auth/access_token")) == 2
    statuses = [r.status for r in fake_port.requests("POST", "/v1/blueprints/")]
    assert statuses == [201, 401, 201]


def test_token_is_refreshed_before_it_expires(fake_port, seed_entity):
    now = [0.0]
    client = PortClient(fake_port.base_url, "test-client", "test-secret", clock=lambda: now[0])
    fake_port.state.token_lifetime = 600
    client.upsert("jiraIssue", seed_entity)
    now[0] = 590.0  # inside the refresh margin, though the token is still valid in the fake

    client.upsert("jiraIssue", seed_entity)

    assert len(fake_port.requests("POST", "/v1/auth/access_token")) == 2
    assert all(r.status == 201 for r in fake_port.requests("POST", "/v1/blueprints/"))


def test_wrong_credentials_are_retryable(fake_port, seed_entity):
    client = PortClient(fake_port.base_url, "test-client", "wrong")

    with pytest.raises(PortRetryableError, match="credentials"):
        client.upsert("jiraIssue", seed_entity)


def test_bulk_reports_each_entity(port_client, fake_port, seed_entity):
    good = dict(seed_entity)
    bad = {**seed_entity, "identifier": ".."}

    results = port_client.bulk_upsert("jiraIssue", [good, bad])

    assert [(r.identifier, r.ok) for r in results] == [("PI-1", True), ("..", False)]
    assert results[1].status == 422
    assert fake_port.requests("POST", "/v1/blueprints/jiraIssue/entities/bulk")[0].status == 207


def test_schema_mismatch_is_permanent(port_client, seed_entity):
    entity = {**seed_entity, "properties": {"summary": 42}}

    with pytest.raises(PortPermanentError) as caught:
        port_client.upsert("jiraIssue", entity)

    assert caught.value.status == 422
    assert "summary" in str(caught.value)


def test_unknown_blueprint_is_permanent(port_client, seed_entity):
    with pytest.raises(PortPermanentError) as caught:
        port_client.upsert("noSuchBlueprint", seed_entity)
    assert caught.value.status == 404


def test_body_over_one_mebibyte_is_refused(port_client, seed_entity):
    entity = {**seed_entity, "properties": {"description": "x" * (1024 * 1024)}}

    with pytest.raises(PortPermanentError) as caught:
        port_client.upsert("jiraIssue", entity)
    assert caught.value.status == 413


def test_delete_of_missing_entity_counts_as_done(port_client, fake_port, seed_entity):
    port_client.upsert("jiraIssue", seed_entity)

    assert port_client.delete("jiraIssue", "PI-1", delete_dependents=True) is True
    assert port_client.delete("jiraIssue", "PI-1") is False
    assert fake_port.entity("jiraIssue", "PI-1") is None
    assert fake_port.requests("DELETE")[0].query == {"delete_dependents": ["true"]}


def test_delete_in_unknown_blueprint_is_permanent(port_client):
    with pytest.raises(PortPermanentError):
        port_client.delete("noSuchBlueprint", "PI-1")


@pytest.mark.parametrize("status", [429, 500, 503])
def test_overload_is_retryable_with_retry_after(limited_client, fake_port, seed_entity, status):
    fake_port.fail_next(1, status, retry_after=7)

    with pytest.raises(PortRetryableError) as caught:
        limited_client.upsert("jiraIssue", seed_entity)

    assert caught.value.retry_after == 7.0
    assert caught.value.status == status


def test_ratelimit_reset_is_honoured_without_retry_after(limited_client, fake_port, seed_entity):
    fake_port.fail_next(1, 429, ratelimit_reset=12)

    with pytest.raises(PortRetryableError) as caught:
        limited_client.upsert("jiraIssue", seed_entity)
    assert caught.value.retry_after == 12.0


def test_port_down_is_retryable(port_client, fake_port, seed_entity):
    port_client.upsert("jiraIssue", seed_entity)
    fake_port.set_down(True)

    with pytest.raises(PortRetryableError, match="unreachable"):
        port_client.upsert("jiraIssue", seed_entity)

    fake_port.set_down(False)
    port_client.upsert("jiraIssue", seed_entity)


def test_timeout_is_retryable(fake_port, seed_entity):
    client = PortClient(fake_port.base_url, "test-client", "test-secret", timeout=0.05)
    fake_port.state.latency = 0.5

    with pytest.raises(PortRetryableError, match="did not answer"):
        client.upsert("jiraIssue", seed_entity)


def test_blueprints_are_read_and_created(port_client, issue_blueprint):
    assert port_client.get_blueprint("jiraIssue")["identifier"] == "jiraIssue"
    assert port_client.get_blueprint("jiraProject") is None

    port_client.create_blueprint({"identifier": "jiraProject", "schema": {"properties": {}}})

    assert port_client.get_blueprint("jiraProject")["identifier"] == "jiraProject"


@pytest.mark.parametrize("raw, expected", [
    ("5", 5.0), ("0.5", 0.5), ("1700000010", 10.0), ("Tue, 14 Nov 2023 22:13:30 GMT", 10.0),
    ("2023-11-14T22:13:30Z", 10.0), ("garbage", None), (None, None), ("-3", 0.0),
])
def test_wait_headers_are_parsed(raw, expected):
    assert seconds_until(raw, now=1700000000.0) == expected


BOGUS_WAITS = {"1e300": RETRY_AFTER_CEILING, "inf": RETRY_AFTER_CEILING, "-inf": 0.0,
               "nan": None, "-1e300": 0.0, "-7": 0.0, "99999999999999999999": RETRY_AFTER_CEILING,
               "Fri, 31 Dec 9999 23:59:59 GMT": RETRY_AFTER_CEILING,
               "Mon, 01 Jan 1990 00:00:00 GMT": 0.0, "9999-12-31T23:59:59Z": RETRY_AFTER_CEILING,
               "Tue, 99 Nov 2023 99:99:99 GMT": None}


@pytest.mark.parametrize("raw", BOGUS_WAITS)
def test_bogus_retry_after_is_clamped_over_http(limited_client, fake_port, seed_entity, raw):
    fake_port.fail_next(1, 429, retry_after=raw)

    with pytest.raises(PortRetryableError) as caught:
        limited_client.upsert("jiraIssue", seed_entity)

    expected = BOGUS_WAITS[raw]
    assert caught.value.status == 429
    assert caught.value.retry_after == (None if expected is None else pytest.approx(expected, abs=1))
    assert limited_client.rate_limit.remaining() <= RETRY_AFTER_CEILING


def test_requests_wait_out_a_429_without_reaching_port(limited_client, fake_port, seed_entity):
    fake_port.fail_next(1, 429, retry_after=30)
    with pytest.raises(PortRetryableError):
        limited_client.upsert("jiraIssue", seed_entity)
    seen = len(fake_port.requests())

    for call in (lambda: limited_client.upsert("jiraIssue", seed_entity),
                 lambda: limited_client.bulk_upsert("jiraIssue", [seed_entity]),
                 lambda: limited_client.delete("jiraIssue", "PI-1")):
        with pytest.raises(PortRetryableError, match="rate limit") as caught:
            call()
        assert 25 < caught.value.retry_after <= 30

    assert len(fake_port.requests()) == seen


def test_clients_of_the_same_credentials_share_the_pause(fake_port, seed_entity):
    first = PortClient(fake_port.base_url, "test-client", "test-secret", timeout=2.0)
    second = PortClient(fake_port.base_url + "/", "test-client", "test-secret", timeout=2.0)
    other = PortClient(fake_port.base_url, "other-client", "test-secret", timeout=2.0)
    fake_port.fail_next(1, 429, retry_after=1)

    with pytest.raises(PortRetryableError):
        first.upsert("jiraIssue", seed_entity)

    assert second.rate_limit is first.rate_limit and second.rate_limit.remaining() > 0
    assert other.rate_limit.remaining() == 0

