"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask CLI."""
from gmgportal import create_app

app = create_app()
