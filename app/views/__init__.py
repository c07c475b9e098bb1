"""HTTP views: thin layers that verify, parse, hand to a domain function and answer."""

from flask import current_app


def runtime():
    """The Runtime loaded by create_app."""
    return current_app.extensions["bridge"]
