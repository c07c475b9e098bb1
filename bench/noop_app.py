"""The served baseline: a Flask app that only parses the JSON body and answers 202.

    gunicorn --chdir bench 'noop_app:create_app()'
"""

import json

from flask import Flask, jsonify, request


def create_app():
    app = Flask(__name__)

    @app.post("/webhooks/<identifier>")
    def receive(identifier):
        body = json.loads(request.get_data(cache=False))
        return jsonify({"ok": True, "keys": len(body)}), 202

    return app
