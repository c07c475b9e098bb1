"""jira-catalog-bridge: Jira webhooks in, catalog entities out.

Importing the package loads nothing else: `create_app` imports the service when it is called, so
light parts such as `app.ingest.security` can be used without it.
"""


def create_app(overrides: dict | None = None):
    """The Flask app (see app.factory.create_app), built when called; `gunicorn 'app:create_app()'` and
    `flask --app app` call this."""
    from .factory import create_app as build_app
    return build_app(overrides)
