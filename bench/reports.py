"""A progress report of a group with 50 outputs, 1,000 activities and 50,000 updates (SQLite):
the draft assembled, the draft page (first view, its sections' HTML not yet rendered, and again), the
DOCX and the PDF (core.documents: pandoc, Typst), for a quarter. CPU time counts pandoc's too (a child
process). GMG_BENCH_PARTS="draft" (names' first words) runs only those parts."""
from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.programme import ACTIVITIES, OUTPUTS, UPDATES, _app, _login, bench_schema_and_user

RUNS = int(os.environ.get("GMG_BENCH_RUNS", "3"))
TARGETS_S = {"draft assembled": 1.0, "draft page, first": 1.0, "draft page, again": 1.0, "DOCX": 3.0, "PDF": 10.0}
PARTS = os.environ.get("GMG_BENCH_PARTS", "").split()
PERIOD = (dt.date(2014, 4, 1), dt.date(2014, 6, 30))


def _cpu() -> float:
    """CPU seconds of this process and of the children it waited for (pandoc makes the DOCX and PDF)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _median_s(work) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time stays meaningful on a busy machine)."""
    work()  # warm
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), _cpu()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def run() -> list[str]:
    from gmgportal.core.permissions import Role
    from gmgportal.extensions import db
    from gmgportal.programme.queries import Period
    from gmgportal.programme.sampledata import create_sample_programme
    from gmgportal.reports.assemble import assemble_report
    from gmgportal.reports.exports import report_docx, report_pdf
    from gmgportal.core.markdown import forget_rendered
    from gmgportal.reports.render import ReportDocument
    from gmgportal.reports.services import generate_report

    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            user, agencies = bench_schema_and_user(Role.CHAIR)
            group = create_sample_programme(user, agencies, outputs=OUTPUTS, activities=ACTIVITIES, updates=UPDATES)
            report = generate_report(group, Period(*PERIOD), user)
            db.session.commit()
            report_id, period = report.id, Period(*PERIOD)
            draft = assemble_report(group, period)
            narratives = sum(len(a.narratives) for o in draft.outputs for a in o.activities)
            print(f"data ready; report for {PERIOD[0]} to {PERIOD[1]}", flush=True)
            lines.append(f"data: {OUTPUTS} outputs, {ACTIVITIES} activities, {UPDATES} updates; report for "
                         f"{PERIOD[0]} to {PERIOD[1]} with {narratives:,} narratives")
            document = ReportDocument("Bench", draft.header, draft.sections, draft.figures)
            client = app.test_client()
            _login(client, "bench@example.org", "bench-password-1")

            def view():
                assert client.get(f"/reports/{report_id}").status_code == 200

            def first_view():
                forget_rendered()
                view()

            work = {
                "draft assembled": lambda: assemble_report(group, period),
                "draft page, first": first_view,
                "draft page, again": view,
                "DOCX": lambda: report_docx(document),
            }
            timings = {name: _median_s(w) for name, w in work.items() if not PARTS or name.split()[0] in PARTS}
            if not PARTS or "PDF" in PARTS:
                with app.test_request_context():
                    timings["PDF"] = _median_s(lambda: report_pdf(document))
            for name, (wall, cpu) in timings.items():
                target = TARGETS_S[name]
                verdict = "ok" if cpu < target else f"OVER {target:.0f} s"
                lines.append(f"{name:<16} median {wall:6.2f} s wall, {cpu:6.2f} s CPU over {RUNS} runs  {verdict}")
            db.session.remove()
            db.engine.dispose()
    return lines
