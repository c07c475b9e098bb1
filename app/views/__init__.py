"""The JSON API: thin views that verify, parse, hand to a domain function and answer.

`webhooks` receives deliveries; `catalog` serves blueprints, entities and the event log; `outbox`
the changes waiting for Port; `health` and `metrics` the operator's probes. `auth` and `paging` are
their shared checks and shapes, `errors` the one place exceptions become JSON answers.
"""

from flask import Flask

from . import catalog, errors, health, metrics, outbox, webhooks


def init_app(app: Flask) -> None:
    """Register every JSON blueprint and the error handlers on `app`."""
    for module in (webhooks, catalog, outbox, health, metrics):
        app.register_blueprint(module.bp)
    errors.init_app(app)
