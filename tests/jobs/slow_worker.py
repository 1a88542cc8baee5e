"""A job worker process for the kill test: the test app's database and queue, an export that stops
a fifth of the way and waits there until the test stops this process.

Run as `python tests/jobs/slow_worker.py DATABASE_URL UPLOAD_FOLDER QUEUE_FILE`.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from config import TestingConfig  # noqa: E402
from gmgportal import create_app  # noqa: E402
from gmgportal.jobs import audit_export  # noqa: E402
from gmgportal.jobs.progress import Progress  # noqa: E402
from gmgportal.jobs.worker import make_consumer  # noqa: E402

STALL_AT_PERCENT = 20


def stalling_step(progress: Progress, done: int, total: int, noun: str = "item") -> None:
    """Report as usual; once a fifth is done, write it (past the throttle) and wait, beating, to be stopped."""
    _step(progress, done, total, noun)
    if total and 100 * done >= STALL_AT_PERCENT * total:
        progress._write()
        while True:
            time.sleep(0.5)
            progress.check_cancelled()


_step = Progress.step


if __name__ == "__main__":
    database_url, upload_folder, queue_file = sys.argv[1:4]
    config = type("SlowWorkerConfig", (TestingConfig,), {
        "SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_FOLDER": upload_folder, "JOBS_QUEUE_FILE": queue_file,
        "JOBS_HEARTBEAT_SECONDS": 0.5})
    audit_export.BATCH_SIZE = 100
    Progress.step = stalling_step  # type: ignore[method-assign]
    app = create_app(config)
    with app.app_context():
        print("worker ready", flush=True)
        make_consumer(app, workers=1).run()
