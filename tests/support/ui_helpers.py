"""Helpers for the UI tests: a mappings folder of their own, logging in, CSRF tokens, and
Debian's Chromium through Playwright."""

import os
import re
import shutil

import pytest

from tests.support.helpers import ROOT, SECRET

TOKEN = "ui-test-token"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def copy_mappings(tmp_path):
    """A writable copy of the shipped mappings folder; returns its path as a string."""
    target = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", target)
    return str(target)


def csrf_from(client, path="/"):
    """The CSRF token a page's forms carry."""
    match = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def text(client, path):
    """A page's HTML, asserting it answered 200."""
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return answer.get_data(as_text=True)


def log_in(client, token=TOKEN):
    """Sign in through the login form; returns the session's CSRF token."""
    answer = client.post("/login", data={"csrf_token": csrf_from(client, "/login"),
                                         "token": token, "next": "/"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return csrf_from(client, "/")


@pytest.fixture(name="settings_overrides")
def ui_settings_overrides(sqlite_url, tmp_path):
    """An app on SQLite with a read token and its own mappings (import it to use it)."""
    return {"DATABASE_URL": sqlite_url, "JIRA_WEBHOOK_SECRET": SECRET,
            "CATALOG_API_TOKEN": TOKEN, "MAPPINGS_DIR": copy_mappings(tmp_path)}


@pytest.fixture(name="csrf")
def ui_csrf(client):
    """Signed in on `client`; the session's CSRF token (import it to use it)."""
    return log_in(client)


def browser_missing():
    """Why the browser tests cannot run here, or None."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(name="browser", scope="module")
def chromium():
    """Chromium for the module's tests (import it to use it); skipped when missing unless
    REQUIRE_BROWSER=1."""
    reason = browser_missing()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (REQUIRE_BROWSER=1) but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(name="page")
def browser_page(browser):
    """A fresh browser page (import it to use it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15000)
    yield context.new_page()
    context.close()
