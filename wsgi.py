"""Entry point for gunicorn (`gunicorn wsgi:app`) and the flask CLI."""
import sys

from config import ConfigError
from gmgportal import create_app

try:
    app = create_app()
except ConfigError as error:
    # The reason alone, without a traceback: it says what to set.
    sys.exit(str(error))
