"""The huey consumer that runs jobs: `flask gmg worker` in production, threads in tests and benches."""
from __future__ import annotations

from flask import Flask
from huey.consumer import Consumer

from gmgportal.jobs.queue import get_huey

# SQLite is polled: after a job the worker looks again in 50 ms, when idle at least every 100 ms,
# so a click reaches an idle worker within about 0.1 s. Redis blocks on the queue: no polling delay.
SQLITE_POLL = {"initial_delay": 0.05, "backoff": 1.15, "max_delay": 0.1}
REDIS_POLL = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 2.0}


def consumer_options(app: Flask, workers: int | None = None) -> dict:
    polling = REDIS_POLL if app.config.get("REDIS_URL") else SQLITE_POLL
    return dict(polling, workers=workers or int(app.config.get("JOBS_WORKERS", 2)), worker_type="thread",
                periodic=True, scheduler_interval=1, check_worker_health=True, health_check_interval=5)


def make_consumer(app: Flask, workers: int | None = None) -> Consumer:
    return Consumer(get_huey(app), **consumer_options(app, workers))


class BackgroundConsumer(Consumer):
    """A consumer in threads of the current process, leaving its signal handlers alone."""

    def _set_signal_handlers(self) -> None:
        pass

    def shutdown(self, timeout: float = 10) -> None:
        self.shutdown_timeout = timeout
        self.stop(graceful=True)
        self.huey.notify_interrupted_tasks()


def start_background_consumer(app: Flask, workers: int = 1) -> BackgroundConsumer:
    consumer = BackgroundConsumer(get_huey(app), **consumer_options(app, workers))
    consumer.start()
    return consumer
