"""Fixtures for the call for case studies: the call from content/, people, submissions, assignments."""
from __future__ import annotations

from pathlib import Path

import pytest

from gmgportal.core.permissions import Role

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OPEN_DAY = "2014-06-02"  # inside the call's window (5 May to 30 June 2014)


@pytest.fixture
def call(db, frozen_clock):
    """The call loaded from content/ (with the agencies), the clock inside its window."""
    from gmgportal.cases.services import get_call
    from gmgportal.core.content import load_content

    frozen_clock.freeze(OPEN_DAY)
    load_content(CONTENT_DIR)
    db.session.commit()
    return get_call("egm-2014")


@pytest.fixture
def chair(make_user, call):
    return make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Chris Chair")


@pytest.fixture
def make_reviewer(make_user, call, db):
    from gmgportal.cases.services import save_reviewer_profile

    def make(email=None, agency="IOM", keywords="", expertise="", name=None):
        user = make_user(email, roles=(Role.REVIEWER,), agency=agency, name=name)
        if keywords or expertise:
            save_reviewer_profile(user, keywords, expertise)
            db.session.commit()
        return user

    return make


@pytest.fixture
def make_case(db, call, make_user):
    """A submitted case (or a draft with submit=False) by `submitter` (default: a new ILO focal point)."""
    from gmgportal.cases import services

    def make(submitter=None, title="Mobile phone records for migration flows", submit=True, coauthors=(),
             summary="Call detail records measure internal and international migration.", **fields):
        submitter = submitter or make_user(roles=(Role.FOCAL_POINT,), agency="ILO")
        data = services.SubmissionData(
            title=title, organisation=fields.get("organisation", "Statistics office"),
            countries=fields.get("countries", ["SEN", "KEN"]), data_kinds=fields.get("data_kinds", ["mobile_phone_records"]),
            summary=summary, method=fields.get("method", "Anonymised call records, weighted to the census."),
            innovation=fields.get("innovation", "New source"), replication=fields.get("replication", "Any operator"),
            gender=fields.get("gender", "Sex from subscriber data"), contact_email=submitter.email,
            coauthors=list(coauthors))
        case = services.create_submission(call, submitter, data)
        if submit:
            services.submit_case(case)
        db.session.commit()
        return case

    return make


@pytest.fixture
def assign(db):
    from gmgportal.cases import services

    def do(case, reviewer):
        assignment = services.assign_reviewer(case, reviewer)
        db.session.commit()
        return assignment

    return do


def scores_for(call, value=None, **overrides) -> dict:
    """Form fields giving every criterion `value` (default: its maximum)."""
    data = {}
    for c in call.criteria:
        data[f"score_{c.id}"] = str(overrides.get(c.key, c.max_score if value is None else value))
    return data
