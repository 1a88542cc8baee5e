"""The yardstick: a bare Flask app returning a fixed string (served by gunicorn like the portal)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello"
