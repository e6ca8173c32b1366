"""The baseline: a Flask hello-world served by gunicorn with the service's own settings.

It does what every request pays for and nothing more (routing, a response, JSON),
so lookup figures divided by its figures show the cost of our work, not the machine's.
"""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

app = Flask(__name__)


@app.get("/")
def hello() -> ResponseReturnValue:
    return "Hello, World!"


@app.get("/C/<path:code>")
def code(code: str) -> ResponseReturnValue:
    """Same URL shape as the lookup, so wrk sends the same requests to both."""
    return jsonify({"hello": "world"})
