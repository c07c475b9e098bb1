"""Jira's versions: an event's source version, reading Jira's times, shared as-is with the backfill."""

import subprocess
import sys

import pytest

import app.ingest.jira_events
import app.ingest.versions
from app.ingest.versions import parse_jira_time, source_version
from tests.support.helpers import ROOT

TIMES = {
    "2023-06-16T14:51:06.116+0000": 1686927066116,
    "2023-06-16T14:51:06Z": 1686927066000,
    "2023-06-16T14:51:06+02:00": 1686919866000,
    "garbage": None,
    None: None,
}


@pytest.mark.parametrize("body, version", [
    ({"timestamp": 2 ** 63 - 1}, 2 ** 63 - 1),
    ({"timestamp": 2 ** 63}, None),
    ({"timestamp": True, "issue": {"fields": {"updated": "2023-06-16T14:51:06.116+0000"}}},
     1686927066116),
    ({"issue": {"fields": ["updated"]}}, None),
    ({"issue": "PI-1"}, None),
])
def test_source_version_ignores_what_cannot_be_a_version(body, version):
    assert source_version(body) == version


@pytest.mark.parametrize("value", list(TIMES))
def test_parse_jira_time_reads_jira_and_iso_times_as_epoch_ms(value):
    assert parse_jira_time(value) == TIMES[value]


@pytest.mark.parametrize("value", list(TIMES))
def test_the_backfill_reads_an_issues_update_time_as_the_app_does(value):
    version = source_version({"issue": {"fields": {"updated": value}}})
    event = app.ingest.jira_events.build_issue_event({"key": "A-1", "fields": {"updated": value}})

    assert app.ingest.jira_events.parse_jira_time is app.ingest.versions.parse_jira_time
    if version is not None:
        assert event["timestamp"] == version


def test_what_the_backfill_shares_loads_without_the_web_app():
    probe = ("import sys, app.ingest.security, app.ingest.versions, app.ingest.jira_events, app.jira.client, "
             "app.jira.retry, app.jira.prune; "
             "print(sorted({'flask', 'sqlalchemy', 'jq'} & set(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout

    assert loaded.strip() == "[]"
