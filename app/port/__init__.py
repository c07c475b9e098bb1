"""Forwarding to Port: the REST client, blueprint setup, the outbox and its delivery loop.

`client` talks to Port's API; `setup` builds it from the settings and creates missing blueprints;
`outbox` queues entity changes in the catalog's transaction; `delivery` sends them, in order per
entity; `forwarding` wires these to the store and runs the loop.
"""
