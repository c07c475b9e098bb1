"""The Procfile's `worker:` process: `python -m app.worker` delivers the outbox to Port and, with
JIRA_URL set, runs the reconcile passes on their schedule and keeps Jira's field ids and the issues of
link events current (each in a thread of its own)."""

import logging
import signal

from .errors import ConfigError
from .factory import create_app, exit_with
from .reconcile.links import start_following
from .reconcile.schedule import scheduled, start_schedule
from .runtime import runtime_of

log = logging.getLogger("jira_catalog_bridge.worker")


def main() -> None:
    """`python -m app.worker`: deliver until SIGTERM or SIGINT."""
    # This process is the worker: never also start the web process's delivery thread here.
    try:
        app = create_app({"RUN_WORKER_IN_WEB": "false"})
    except ConfigError as exc:
        exit_with(exc)
    state = runtime_of(app)
    forwarding = state.forwarding
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: forwarding.stop_event.set())
    if scheduled(state.settings):
        start_schedule(state.store, state.configs, state.settings, forwarding.stop_event)
    if state.settings.JIRA_URL:
        start_following(state.store, state.configs, state.settings, forwarding.stop_event)
    if forwarding.client is None:
        # Idle rather than exit, so process managers do not restart the worker in a loop.
        log.info("PORT_CLIENT_ID/PORT_CLIENT_SECRET unset: Port forwarding is off")
        forwarding.stop_event.wait()
        return
    log.info("delivering the outbox to %s", forwarding.client.base_url)
    forwarding.run()


if __name__ == "__main__":
    main()
