"""What the service is configured with: blueprints, webhook configurations, and the pure translation.

`blueprints` loads Port blueprints and checks entities against them; `calculations` compiles their
calculation properties; `configs` loads and compiles webhook configurations in Port's format;
`translate` turns (configuration, request) into entity changes without touching a database.
"""
