"""`make run`: serve the portal for development, with a job worker beside it, and say how to log in."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from gmgportal import create_app

HOST = os.environ.get("GMG_HOST", "127.0.0.1")
PORT = int(os.environ.get("GMG_PORT", "5000"))


def login_help(app) -> str:
    lines = [f"GMG Portal is running at http://{HOST}:{PORT}", ""]
    if app.config.get("DEMO_ACCOUNTS"):
        lines += [
            "Log in with one of the demo accounts (password: gmg-demo-2014):",
            "  admin@example.org           administrator",
            "  chair@example.org           chair (UN/DESA)",
            "  focal.iom@example.org       IOM focal point (also focal.ilo, focal.unicef, ...)",
            "  editor@example.org          handbook editor",
            "  reviewer.oecd@example.org   reviewer (OECD)",
        ]
    lines += ["", "Press Ctrl+C to stop."]
    return "\n".join(lines)


class WorkerSupervisor:
    """Runs `flask gmg worker` in its own process, restarts it if it dies, stops it on exit.

    Its own session, so Ctrl+C reaches only the web server; on exit it gets SIGTERM and
    marks a job it was running as failed (retry it next time).
    """

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        command = [sys.executable, "-m", "flask", "--app", "wsgi:app", "gmg", "worker"]
        self.process = subprocess.Popen(command, start_new_session=True)
        print(f"Job worker started (pid {self.process.pid}).", flush=True)

    def _watch(self) -> None:
        while not self._stopping.wait(1):
            if self.process is not None and self.process.poll() is not None:
                print(f"The job worker stopped (exit code {self.process.returncode}); starting a new one.",
                      flush=True)
                self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    app = create_app()
    worker = WorkerSupervisor()
    worker.start()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))  # stop the worker too
    print(login_help(app), flush=True)
    try:
        app.run(host=HOST, port=PORT, debug=False, use_reloader=False, threaded=True)
    finally:
        worker.stop()


if __name__ == "__main__":
    main()
