"""Fixtures for progress reports: the seed report, updates, the handbook's and the call's history (the TWG1
programme and its people are in tests/conftest.py)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from gmgportal.cases import services as cases
from gmgportal.cases.models import Call, Outcome
from gmgportal.core.permissions import Role
from gmgportal.handbook import services as handbook_services
from gmgportal.handbook.models import Chapter, ChapterStatus
from tests.conftest import skip_or_fail

SEED_NAME = Path("shared") / "seed" / "twg1-progress-report-2014-05.md"
# The repository's parent holds shared/ (for a worktree under /work/wt/<name>, its parent's parent).
SEED = next((folder / SEED_NAME for folder in Path(__file__).resolve().parents if (folder / SEED_NAME).is_file()),
            Path(__file__).resolve().parents[3] / SEED_NAME)
MAY_13 = dt.date(2014, 5, 13)
SEED_PERIOD_START = dt.date(2014, 1, 1)
SEED_NARRATIVE = "A detailed concept note, table of contents, and template has been circulated."


@pytest.fixture
def seed_text() -> str:
    if not SEED.is_file():
        skip_or_fail(f"the seed report is not at {SEED}")
    return SEED.read_text(encoding="utf-8")


def split_seed(text: str) -> list[tuple[int, str, str]]:
    """The seed's numbered sections: (number, title, body)."""
    heading = re.compile(r"^(?:## )?\*\*(\d+)\. (.+?)\*\*\s*$", re.M)
    matches = list(heading.finditer(text))
    return [(int(m.group(1)), m.group(2).strip(),
             text[m.end(): matches[i + 1].start() if i + 1 < len(matches) else len(text)].strip())
            for i, m in enumerate(matches)]


@pytest.fixture
def log_update(db):
    """Log a progress update: `log_update(activity, user, as_of, status, percent, narrative)`."""
    from gmgportal.programme.operations import ProgressData, log_progress

    def log(activity, user, as_of: dt.date, status, percent: int = 0, narrative: str = ""):
        update = log_progress(activity, user, ProgressData(as_of, status, percent, narrative))
        db.session.commit()
        return update

    return log


@pytest.fixture
def seed_progress(twg1, people, activity_by_ref, log_update):
    """What the seed reports, logged as updates: the handbook's concept note, the other activities' status."""
    from gmgportal.programme.models import Status

    chair = people["chair"]
    log_update(activity_by_ref("1.2 (1)"), chair, dt.date(2014, 4, 30), Status.ON_TRACK, 20, SEED_NARRATIVE)
    log_update(activity_by_ref("1.2 (2)"), chair, dt.date(2014, 5, 2), Status.ON_TRACK, 10)
    log_update(activity_by_ref("1.2 (3)"), people["iom"], dt.date(2014, 5, 6), Status.ON_TRACK, 5)
    return twg1


# --- posting the reports' forms (a logged-in test client and its AuthActions) ---------------

def token(auth, path: str) -> str:
    return auth.csrf_token(path)


def generate(client, auth, start="2014-01-01", end="2014-05-13", group="twg1"):
    return client.post("/reports/new", data={"group": group, "period_start": start, "period_end": end,
                                              "csrf_token": token(auth, "/reports/new")})


def report_id(response) -> int:
    return int(re.search(r"/reports/(\d+)", response.headers["Location"]).group(1))


def freeze(client, auth, rid: int):
    return client.post(f"/reports/{rid}/freeze", data={"csrf_token": token(auth, f"/reports/{rid}/freeze")})


def save_section(client, auth, rid: int, key: str, text: str, **extra):
    path = f"/reports/{rid}/sections/{key}"
    return client.post(path, data={"markdown": text, "csrf_token": token(auth, path), **extra})


# --- the handbook's and the call's history (section 2 draws on them) -------------------------

@pytest.fixture
def writer(make_user, twg1, db):
    """A focal point of the agency leading the handbook's first chapter."""
    chapter = db.session.scalar(sa.select(Chapter).order_by(Chapter.number))
    return make_user("writer@example.org", roles=(Role.FOCAL_POINT,), agency=chapter.lead_agency.code), chapter


@pytest.fixture
def handbook_history(db, writer, people, frozen_clock):
    """Chapter 1: a first version (so drafting) on 10 May 2014, a second version and submitted on 20 June."""
    user, chapter = writer
    frozen_clock.freeze("2014-05-10")
    handbook_services.save_chapter_version(chapter, user, "One two three four five.")  # starts drafting
    db.session.commit()
    frozen_clock.freeze("2014-06-20")
    handbook_services.save_chapter_version(chapter, user, "One two three four five six seven eight.", based_on=1)
    handbook_services.move_chapter(chapter, user, ChapterStatus.SUBMITTED)
    db.session.commit()
    return chapter


@pytest.fixture
def call_history(db, twg1, people, make_user, submitted_case, frozen_clock):
    """Two cases submitted on 2 June 2014; one review done on 10 July, another left in draft; one case
    accepted on 20 July, the other withdrawn."""
    call = db.session.scalar(sa.select(Call))
    frozen_clock.freeze("2014-06-02")
    made = []
    for title in ("Mobile phone records", "Border crossings from satellite images"):
        made.append(submitted_case(call, make_user(roles=(Role.FOCAL_POINT,), agency="ILO"), title))
    db.session.commit()
    frozen_clock.freeze("2014-07-01")
    reviewers = [make_user(roles=(Role.REVIEWER,), agency=code) for code in ("IOM", "UNICEF")]
    assignments = [cases.assign_reviewer(made[0], r) for r in reviewers]
    db.session.commit()
    frozen_clock.freeze("2014-07-10")
    scores = {c.id: c.max_score for c in call.criteria}
    cases.save_review(assignments[0], cases.ReviewData(scores, recommendation="accept"), submit=True)
    cases.save_review(assignments[1], cases.ReviewData(scores))
    db.session.commit()
    frozen_clock.freeze("2014-07-20")
    cases.decide_case(made[0], Outcome.ACCEPT, "Welcome.", people["chair"])
    cases.withdraw_case(made[1])
    db.session.commit()
    return call
