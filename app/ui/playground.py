"""The mapping playground: run a configuration over an event without saving; save it when valid.

Evaluation uses the webhook path's own `build_config` and `translate` and never writes the
catalog; it runs in the playground's own JQ processes (app/jq/sandbox.py), at most
PLAYGROUND_CONCURRENCY at once per server process. Secrets stay out of pages and out of runs: a
file's literal `security.secret`/`queryToken` is shown as HIDDEN, the playground accepts only
`${NAME}` references (or HIDDEN) for them, and it substitutes no `${NAME}` (security values play
no part in a run).
"""

import os
import tempfile
from pathlib import Path

import yaml

from ..catalog import queries
from ..errors import BadRequest, BridgeError, ConfigError, NotFound
from ..ingest.events import parse_body
from ..jq import sandbox
from ..mapping.configs import CONFIG_SUFFIXES, ENV_REFERENCE, WebhookConfig, build_config
from ..mapping.translate import Translation, build_jq_input_text, translate
from ..runtime import Runtime

SECRET_FIELDS = ("secret", "queryToken")
HIDDEN = "__hidden__"


class PlaygroundError(BadRequest):
    """A configuration or payload the playground cannot use; the message says where."""

    reason = "playground_error"


class PlaygroundBusy(BridgeError):
    """Every playground JQ process of this server process is busy."""

    status = 429
    reason = "playground_busy"


def is_reference(value: object) -> bool:
    """Whether a secret field holds no literal secret: empty, HIDDEN or one `${NAME}`."""
    return value in ("", None, HIDDEN) or bool(ENV_REFERENCE.fullmatch(str(value)))


def editor_text(config: WebhookConfig) -> str:
    """The configuration's file as the editor shows it, literal secrets replaced by HIDDEN."""
    text = Path(config.source).read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    security = document.get("security") or {}
    if all(is_reference(security.get(name)) for name in SECRET_FIELDS):
        return text
    for name in SECRET_FIELDS:
        if not is_reference(security.get(name)):
            security[name] = HIDDEN
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def parse_document(text: str) -> dict:
    """The editor's YAML as a configuration document, refusing literal secrets."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlaygroundError(f"not valid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise PlaygroundError("the configuration must be a YAML mapping with identifier and "
                              "mappings")
    security = document.get("security")
    for name in SECRET_FIELDS:
        if isinstance(security, dict) and not is_reference(security.get(name)):
            raise PlaygroundError(f"security.{name}: write secrets as ${{NAME}} references to "
                                  "environment variables, not literally")
    return document


def compile_document(runtime: Runtime, document: dict, source: str) -> WebhookConfig:
    """build_config over a document, its ConfigError turned into a PlaygroundError."""
    try:
        return build_config(document, source, references_kept(document), runtime.blueprints)
    except ConfigError as exc:
        raise PlaygroundError(exc.message) from None


def references_kept(document: dict) -> dict[str, str]:
    """An environment giving each `${NAME}` of the security values itself: checks see a value set,
    and no variable of the server is read."""
    security = document.get("security")
    values = security.values() if isinstance(security, dict) else ()
    return {name: f"${{{name}}}" for value in values if isinstance(value, str)
            for name in ENV_REFERENCE.findall(value)}


def evaluate(runtime: Runtime, text: str, jq_input: dict | str) -> Translation:
    """The Translation the configuration in `text` makes of `jq_input`; nothing is stored."""
    document = {k: v for k, v in parse_document(text).items() if k != "security"}
    config = compile_document(runtime, document, "playground")
    with sandbox.using(sandbox.PLAYGROUND):
        translation = translate(config, jq_input)
    failure = translation.failure
    if failure is not None and failure.reason == "jq_busy":
        raise PlaygroundBusy(failure.message)
    return translation


def stored_event_input(runtime: Runtime, event_id: int) -> str:
    """The mapping input of a stored event, exactly as the webhook path built it."""
    event = queries.get_event(runtime.store.engine, event_id)
    if event is None:
        raise NotFound(f"no event {event_id}", "event_not_found")
    return build_jq_input_text(event["body"], event["headers"], event["query"], runtime.store.jira_context())


def pasted_input(runtime: Runtime, payload: str) -> str:
    """The mapping input of a pasted JSON body (no headers, no query parameters)."""
    text, _body = parse_body(payload.encode("utf-8"), runtime.settings.MAX_JSON_DEPTH)
    return build_jq_input_text(text, {}, {}, runtime.store.jira_context())


def save_configuration(runtime: Runtime, text: str) -> Path:
    """Write the configuration in `text` to its file once it validates; returns the path.

    An identifier already on disk keeps its file; a new one gets `<identifier>.yaml`,
    unless that name holds another identifier's configuration. The running service
    reads configurations at startup: a restart applies the saved file.
    """
    document = parse_document(text)
    compile_document(runtime, document, "playground")
    directory = Path(runtime.settings.MAPPINGS_DIR)
    declared = declared_identifiers(directory)
    identifier = document["identifier"]
    target = declared.get(identifier, directory / f"{identifier}.yaml")
    if identifier not in declared and target.exists():
        raise PlaygroundError(f"{target.name} holds another configuration; refusing to "
                              "overwrite it")
    restored = restore_hidden(document, target)
    compile_document(runtime, restored, str(target))
    write_atomically(target, text if restored is document else
                     yaml.safe_dump(restored, sort_keys=False, allow_unicode=True))
    return target


def declared_identifiers(directory: Path) -> dict[str, Path]:
    """{identifier: file} of the configuration files now in `directory`."""
    declared = {}
    for path in sorted(p for p in directory.iterdir() if p.suffix in CONFIG_SUFFIXES):
        document = read_document(path)
        if isinstance(document, dict) and isinstance(document.get("identifier"), str):
            declared.setdefault(document["identifier"], path)
    return declared


def read_document(path: Path) -> object:
    """A configuration file's document, or None when it is missing or unreadable."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def restore_hidden(document: dict, target: Path) -> dict:
    """The document with HIDDEN secrets put back from the file being replaced."""
    security = document.get("security")
    hidden = [n for n in SECRET_FIELDS if isinstance(security, dict) and security.get(n) == HIDDEN]
    if not hidden:
        return document
    existing = (read_document(target) or {}).get("security") or {}
    missing = [n for n in hidden if is_reference(existing.get(n))]
    if missing:
        raise PlaygroundError(f"security.{missing[0]} is {HIDDEN} but {target.name} has no "
                              "secret to keep; use a ${NAME} reference")
    return {**document, "security": {**security, **{n: existing[n] for n in hidden}}}


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so that a reader sees the old or the new file, never half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".playground-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
