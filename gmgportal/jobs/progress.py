"""What a running task uses to report how far it got and to hand over its result.

Progress is written on its own short transaction (never the task's session),
at most a few times a second; each write is conditional on the job still
running this attempt, so a cancelled job's task stops at its next update.
The result file is only kept in memory or a temporary file until the task
returns: the runner stores it and marks the job done in one transaction.
"""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import sqlalchemy as sa

from gmgportal.core.models import utcnow
from gmgportal.core.sqlite import transaction_mode
from gmgportal.extensions import db
from gmgportal.jobs.models import Job, JobState

MESSAGE_LENGTH = 255
ProgressListener = Callable[[int, str], None]


class JobCancelled(Exception):
    """The job is no longer running this attempt (cancelled, or marked lost): stop quietly."""


class JobFailed(Exception):
    """Raise with a message for the user: the job fails with exactly that message."""


@dataclass(frozen=True)
class JobResult:
    data: Union[bytes, Path]
    filename: str
    kind: str


class Progress:
    def __init__(self, job_id: int, attempt: int, params: dict, user_id: Optional[int], temp_root: Path,
                 listener: Optional[ProgressListener] = None, min_interval: float = 0.25) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.params = params
        self.user_id = user_id
        self.listener = listener
        self.min_interval = min_interval
        self.percent = 0
        self.message = ""
        self.result: Optional[JobResult] = None
        self.final_message = ""  # shown when the job is done; set it from the task's writes
        self.writes = 0
        self._temp_dir = temp_root / f"job-{job_id}-{attempt}"
        self._last_write = float("-inf")

    def update(self, percent: float, message: str = "") -> None:
        """Report `percent` (0–100) and a short message such as "chapter 7 of 20"."""
        percent = max(0, min(100, int(percent)))
        message = " ".join(str(message).split())[:MESSAGE_LENGTH]
        if (percent, message) == (self.percent, self.message) and self.writes:
            return
        self.percent, self.message = percent, message
        now = time.monotonic()
        if now - self._last_write >= self.min_interval or percent == 100:
            self._write()
            self._last_write = now
        if self.listener is not None:
            self.listener(percent, message)

    def step(self, done: int, total: int, noun: str = "item") -> None:
        """`update` for counted work: "Rows 2,000 of 10,000"."""
        percent = 100 * done / total if total else 100
        plural = noun if total == 1 else f"{noun}s"
        self.update(percent, f"{plural.capitalize()} {done:,} of {total:,}")

    def check_cancelled(self) -> None:
        """Raise JobCancelled when the job was cancelled; for long stretches without updates."""
        state = _fresh_value(sa.select(Job.state).where(Job.id == self.job_id, Job.attempt == self.attempt))
        if state is not JobState.RUNNING:
            raise JobCancelled()

    def temp_file(self, suffix: str = "") -> Path:
        """A path in this run's own temporary folder, removed when the run ends however it ends."""
        self._temp_dir.mkdir(parents=True, exist_ok=True)
        return self._temp_dir / f"result{suffix}"

    def finish_with_file(self, data: Union[bytes, str, Path], filename: str, kind: str) -> None:
        """Hand over the result (bytes or a file path): stored when the task returns, with the job done."""
        self.result = JobResult(data if isinstance(data, bytes) else Path(data), filename, kind)

    def cleanup(self) -> None:
        shutil.rmtree(self._temp_dir, ignore_errors=True)

    def _write(self) -> None:
        values = {"percent": self.percent, "message": self.message, "heartbeat_at": utcnow()}
        if not update_running(self.job_id, self.attempt, values):
            raise JobCancelled()
        self.writes += 1


def update_running(job_id: int, attempt: int, values: dict) -> bool:
    """Update the job if it still runs this attempt, on a short transaction of its own."""
    return update_job_in_state(job_id, attempt, JobState.RUNNING, values)


def update_job_in_state(job_id: int, attempt: int, state: JobState, values: dict) -> bool:
    """Update the job if this attempt is still in `state`, on a short transaction of its own (not the session's)."""
    statement = (sa.update(Job)
                 .where(Job.id == job_id, Job.attempt == attempt, Job.state == state)
                 .values(**values))
    with transaction_mode(True), db.engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def _fresh_value(statement: sa.Select):
    with transaction_mode(False), db.engine.connect() as connection:
        return connection.execute(statement).scalar()
