"""Who may use the service: the API token (configured or generated), the UI's signed-in sessions,
and the limit on failed token attempts. The SQL lives in app.catalog.access."""
