"""Configuration classes, read from the environment.

`create_app()` picks one by `GMG_CONFIG` (development, testing, production);
tests pass their own class.
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("GMG_INSTANCE_DIR", BASE_DIR / "instance"))

# Secrets that must never reach production: the development default and the
# placeholders people copy from documentation.
KNOWN_DEFAULT_SECRETS = frozenset(
    {"", "dev", "development", "changeme", "change-me", "secret", "secret-key",
     "dev-insecure-secret-key-do-not-use-in-production"}
)


class ConfigError(RuntimeError):
    """The configuration cannot run; the message is one line saying why and what to do."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{INSTANCE_DIR / name}"


def normalise_database_url(url: str) -> str:
    """Let `postgres://` and `postgresql://` URLs use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


SECRET_MIN_DISTINCT_CHARACTERS = 10


def varied_enough(secret: str) -> bool:
    """A random key has many different characters, none of them dominating: refuses
    "aaaa…", "abababab…" and other keys that are long but not random (a hex key has 16 kinds)."""
    distinct = set(secret)
    most = max((secret.count(ch) for ch in distinct), default=0)
    return len(distinct) >= SECRET_MIN_DISTINCT_CHARACTERS and most <= len(secret) / 3


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-secret-key-do-not-use-in-production")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", _sqlite_url("gmgportal.sqlite3"))
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "")
    REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "gmgportal")

    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = int(os.environ.get("MAX_UPLOAD_MB", "20"))
    # The whole request may carry a little more than one file (form fields).
    MAX_CONTENT_LENGTH = (MAX_UPLOAD_MB + 1) * 1024 * 1024

    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")  # console | smtp | memory
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "GMG Portal <noreply@gmg-portal.local>")

    # argon2id at OWASP's recommended minimum: 19 MiB, 2 iterations, 1 lane.
    PASSWORD_HASH_MEMORY_KIB = 19 * 1024
    PASSWORD_HASH_TIME_COST = 2
    PASSWORD_HASH_PARALLELISM = 1
    PASSWORD_MIN_LENGTH = 10

    # How many reverse proxies (e.g. nginx terminating TLS) stand in front of the
    # portal: their X-Forwarded-For/-Proto/-Host headers are then trusted, so the
    # client's own address is throttled and audited, not the proxy's. 0: none.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Outside submitters' self-registration and confirmation: attempts per address and hour.
    CASES_REGISTER_ATTEMPTS = int(os.environ.get("CASES_REGISTER_ATTEMPTS", "3"))
    CASES_REGISTER_WINDOW_SECONDS = int(os.environ.get("CASES_REGISTER_WINDOW_SECONDS", "3600"))
    LOGIN_THROTTLE_ATTEMPTS = 5
    LOGIN_THROTTLE_WINDOW_SECONDS = 15 * 60

    # Login sessions end on the server after this long without a request, and this
    # long after login whatever happens ("keep me logged in": REMEMBER_COOKIE_DURATION).
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    SESSION_TOUCH_MINUTES = 5  # a session's "last seen" is written at most this often

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=14)  # "keep me logged in": two weeks, not Flask-Login's year
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS = False
    # The group's time zone: what "today" means for due dates, silence and reports.
    GROUP_TIME_ZONE = os.environ.get("GROUP_TIME_ZONE", "Europe/Zurich")
    # Development only: the clock shows this date (the demo runs as of the seed report's day).
    CLOCK_DATE = None
    # Rendered pages kept per worker process, keyed by the data version (gmgportal/core/pagecache.py).
    PAGE_CACHE = _bool("PAGE_CACHE", True)
    PAGE_CACHE_ENTRIES = int(os.environ.get("PAGE_CACHE_ENTRIES", "512"))
    PAGE_CACHE_MB = int(os.environ.get("PAGE_CACHE_MB", "64"))
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")  # for links in e-mails
    DEMO_ACCOUNTS = False

    # Background jobs (gmgportal/jobs): the queue is a SQLite file (default: beside
    # UPLOAD_FOLDER, i.e. in instance/) unless REDIS_URL is set.
    JOBS_QUEUE_FILE = os.environ.get("JOBS_QUEUE_FILE", "")
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))
    JOBS_RESULT_DAYS = int(os.environ.get("JOBS_RESULT_DAYS", "7"))
    JOBS_MAX_RESULT_MB = int(os.environ.get("JOBS_MAX_RESULT_MB", "200"))
    JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", "5"))
    JOBS_STALE_SECONDS = float(os.environ.get("JOBS_STALE_SECONDS", "30"))

    @classmethod
    def validate(cls) -> None:
        """Raise ConfigError with a one-line reason when the config can't run."""


def _clock_date(default: str) -> date | None:
    value = os.environ.get("GMG_CLOCK_DATE", default).strip()
    if not value or value.lower() in {"off", "today", "none"}:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RuntimeError(f"GMG_CLOCK_DATE must be a date like 2014-05-13 or 'off', not {value!r}.") from None


class DevelopmentConfig(Config):
    DEBUG = False  # the debugger would bypass our error pages; FLASK_DEBUG turns it on
    DEMO_ACCOUNTS = True
    CLOCK_DATE = _clock_date("2014-05-13")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    PASSWORD_HASH_MEMORY_KIB = 8
    PASSWORD_HASH_TIME_COST = 1
    MAIL_BACKEND = "memory"
    REDIS_URL = ""


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

    @classmethod
    def validate(cls) -> None:
        if os.environ.get("GMG_CLOCK_DATE"):
            raise RuntimeError("Refusing to start: GMG_CLOCK_DATE sets the clock, which only development may do.")
        secret = os.environ.get("SECRET_KEY", "")
        if secret.strip().lower() in KNOWN_DEFAULT_SECRETS or len(secret) < 32 or not varied_enough(secret):
            raise ConfigError(
                "Refusing to start: set SECRET_KEY to a random value of at least 32 characters "
                "(python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        cls.SECRET_KEY = secret


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("GMG_CONFIG", "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigError(f"Unknown GMG_CONFIG {name!r}: use one of {', '.join(CONFIGS)}.")
    return CONFIGS[name]
