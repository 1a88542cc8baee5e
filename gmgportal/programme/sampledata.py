"""A programme of any size, written with bulk inserts: for benchmarks and query-count tests."""
from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from gmgportal.auth.models import Agency, User
from gmgportal.core import clock
from gmgportal.extensions import db
from gmgportal.programme.models import (Activity, Milestone, Output, ProgressUpdate, Status, Theme, WorkingGroup,
                                        activity_partner, activity_theme)


def create_sample_programme(author: User, agencies: list[Agency], *, outputs: int, activities: int, updates: int,
                            slug: str = "sample", seed: int = 2014) -> WorkingGroup:
    """`outputs` outputs sharing `activities` activities, each with 2 milestones; `updates` updates in all."""
    rng = random.Random(seed)
    group = WorkingGroup(slug=slug, short_name=slug.upper(), name=f"Sample group {slug}",
                         chair_agency=agencies[0], chair_person="Chair")
    db.session.add(group)
    themes = [Theme(slug=f"{slug}-theme-{i}", name=f"Theme {i}", position=i) for i in range(3)]
    db.session.add_all(themes)
    db.session.flush()
    output_ids = db.session.execute(sa.insert(Output).returning(Output.id), [
        {"group_id": group.id, "code": f"{i // 9 + 1}.{i % 9 + 1}", "title": f"Output {i}", "description": "",
         "position": i} for i in range(outputs)]).scalars().all()
    start = dt.date(2014, 1, 1)
    rows = [{"output_id": output_ids[i % outputs], "number": i // outputs + 1, "title": f"Activity {i} of the sample",
             "description": "", "lead_agency_id": agencies[i % len(agencies)].id,
             "start_date": start + dt.timedelta(days=rng.randint(0, 200)),
             "due_date": start + dt.timedelta(days=rng.randint(260, 700)),
             "status": rng.choice(list(Status)).value, "percent_complete": rng.randint(0, 100)}
            for i in range(activities)]
    activity_ids = db.session.execute(sa.insert(Activity).returning(Activity.id), rows).scalars().all()
    db.session.execute(sa.insert(activity_partner), [
        {"activity_id": a, "agency_id": agencies[(i + 1) % len(agencies)].id} for i, a in enumerate(activity_ids)
        if len(agencies) > 1])
    db.session.execute(sa.insert(activity_theme), [
        {"activity_id": a, "theme_id": themes[i % 3].id} for i, a in enumerate(activity_ids)])
    db.session.execute(sa.insert(Milestone), [
        {"activity_id": a, "title": f"Milestone {k}", "due_date": start + dt.timedelta(days=90 + 180 * k + i % 60),
         "done_date": None} for i, a in enumerate(activity_ids) for k in range(2)])
    now = clock.now()
    if updates:
        db.session.execute(sa.insert(ProgressUpdate), [
            {"activity_id": activity_ids[i % len(activity_ids)], "author_id": author.id,
             "agency_id": agencies[i % len(agencies)].id, "as_of": start + dt.timedelta(days=i % 400),
             "status": rng.choice(list(Status)).value, "percent_complete": rng.randint(0, 100),
             "narrative": f"Update {i}: work continued as planned.", "evidence_links": [],
             "created_at": now - dt.timedelta(hours=i % 3000), "updated_at": now}
            for i in range(updates)])
    db.session.flush()
    return group
