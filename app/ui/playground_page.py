"""The playground page: try a configuration over a stored or pasted event; save it when valid."""

from flask import render_template, request

from ..catalog import queries
from ..errors import BadRequest, NotFound
from ..runtime import current_runtime
from . import bp, playground

RECENT_EVENTS = 30


def initial_form() -> dict[str, str]:
    """The form as first shown: a configuration from disk and a stored event to try it on."""
    state = current_runtime()
    configs = state.configs
    name = request.args.get("config", "")
    name = name if name in configs else next(iter(configs), "")
    event_id = request.args.get("event", "")
    if not event_id:
        latest, _total = queries.list_events(state.store.engine, 1, 0)
        event_id = str(latest[0]["id"]) if latest else ""
    return {"config_text": playground.editor_text(configs[name]) if name else "", "config": name,
            "source": "event" if event_id else "paste", "event_id": event_id, "payload": ""}


def posted_form() -> dict[str, str]:
    """The posted form; `config` is the configuration the editor was loaded from."""
    return {name: request.form.get(name, "") for name in
            ("config_text", "config", "source", "event_id", "payload")}


def mapping_input(form: dict[str, str]) -> str:
    """The mapping input the form points at: a stored event, or the pasted body."""
    if form["source"] == "paste":
        return playground.pasted_input(current_runtime(), form["payload"])
    try:
        event_id = int(form["event_id"])
    except ValueError:
        raise BadRequest("choose a stored event (its id) or paste a payload") from None
    return playground.stored_event_input(current_runtime(), event_id)


def run(form: dict[str, str]) -> dict:
    """What the page reports for a posted form: the translation, a saved file, or an error."""
    try:
        if request.form.get("action") == "save":
            path = playground.save_configuration(current_runtime(), form["config_text"])
            return {"saved": path.name}
        return {"translation": playground.evaluate(current_runtime(), form["config_text"],
                                                   mapping_input(form))}
    except (BadRequest, NotFound, playground.PlaygroundBusy) as exc:
        return {"error": exc.message, "reason": exc.reason}


@bp.route("/playground", methods=["GET", "POST"])
def playground_page():
    form = posted_form() if request.method == "POST" else initial_form()
    result = run(form) if request.method == "POST" else {}
    recent, _total = queries.list_events(current_runtime().store.engine, RECENT_EVENTS, 0)
    return render_template("playground.html", form=form, result=result, recent=recent,
                           configs=current_runtime().configs), error_status(result)


def error_status(result: dict) -> int:
    """200, 422 for a configuration or input the playground cannot use, 429 when it is busy."""
    if not result.get("error"):
        return 200
    return 429 if result["reason"] == playground.PlaygroundBusy.reason else 422
