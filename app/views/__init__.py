"""The JSON API: thin views that verify, parse, hand to a domain function and answer.

`webhooks` receives deliveries; `catalog` serves blueprints, entities and the event log; `search`
Port's search routes over the entities; `outbox` the changes waiting for Port; `reconcile` the
reconcile passes; `health` and `metrics` the operator's probes. `auth`, `paging` and `reading` are their
shared checks and shapes, `errors` the one place exceptions become JSON answers.

Two checks hold for every route, the UI's included (`init_app` runs before the UI registers its
routes): `<int:...>` is bounded (`paging.BoundedIntConverter`), and a path or query string holding a
NUL character is refused with 400 `nul_in_request` (PostgreSQL cannot store or compare NUL in text).
Webhook deliveries are exempt: their signature is checked first (an unsigned request is a 401
whatever its URL), and the event path stores what it is sent without NUL (`storable_text`).
"""

from flask import Flask, request

from ..errors import BadRequest
from . import catalog, errors, health, metrics, outbox, paging, reconcile, search, webhooks


def init_app(app: Flask) -> None:
    """Bound the routes' numbers, refuse NUL in URLs, register every JSON blueprint and the error
    handlers on `app`."""
    app.url_map.converters["int"] = paging.BoundedIntConverter
    app.before_request(reject_nul)
    for module in (webhooks, catalog, search, outbox, reconcile, health, metrics):
        app.register_blueprint(module.bp)
    errors.init_app(app)


def reject_nul() -> None:
    """400 `nul_in_request` when the path or a query argument holds a NUL character."""
    if request.blueprint == webhooks.bp.name:
        return
    if "\x00" in request.path or any("\x00" in key or "\x00" in value
                                     for key, value in request.args.items(multi=True)):
        raise BadRequest("the URL holds a NUL character (%00)", "nul_in_request")
