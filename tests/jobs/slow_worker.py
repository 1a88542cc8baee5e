"""A job worker process for the kill test: the test app's database and queue, a slowed-down export.

Run as `python tests/jobs/slow_worker.py` with GMG_TEST_DATABASE_URL, GMG_TEST_UPLOAD_FOLDER and
GMG_TEST_QUEUE_FILE in the environment.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from config import TestingConfig  # noqa: E402
from gmgportal import create_app  # noqa: E402
from gmgportal.jobs import audit_export  # noqa: E402
from gmgportal.jobs.worker import make_consumer  # noqa: E402


class SlowWorkerConfig(TestingConfig):
    SQLALCHEMY_DATABASE_URI = os.environ["GMG_TEST_DATABASE_URL"]
    UPLOAD_FOLDER = os.environ["GMG_TEST_UPLOAD_FOLDER"]
    JOBS_QUEUE_FILE = os.environ["GMG_TEST_QUEUE_FILE"]
    JOBS_HEARTBEAT_SECONDS = 0.5


if __name__ == "__main__":
    audit_export.BATCH_SIZE = 100
    audit_export.BATCH_PAUSE_SECONDS = 0.1
    app = create_app(SlowWorkerConfig)
    with app.app_context():
        print("worker ready", flush=True)
        make_consumer(app, workers=1).run()
