"""E-mail: printed to the console in development, SMTP in production,
kept in memory in tests (`app.extensions["mail_outbox"]`)."""
from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage

from flask import current_app


def build_message(to: list[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_mail(to: list[str], subject: str, body: str) -> EmailMessage:
    """Send once the current unit of work commits (never if it rolls back)."""
    from gmgportal.core.uow import after_commit

    message = build_message(to, subject, body)
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def deliver_in_app() -> None:
        with app.app_context():
            deliver(message)

    after_commit(deliver_in_app)
    return message


def deliver(message: EmailMessage) -> None:
    """Hand `message` to the configured backend now."""
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        current_app.extensions.setdefault("mail_outbox", []).append(message)
    elif backend == "console":
        print(f"--- e-mail ---\n{message}\n--- end ---", file=sys.stdout, flush=True)
    elif backend == "smtp":
        config = current_app.config
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    else:
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}: use console, smtp or memory.")
