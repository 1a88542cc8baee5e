"""The call is loaded from content/cases/ with a validated schema; errors name file and line."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from gmgportal.cases.models import Call, Criterion
from gmgportal.core.content import ContentError, load_content
from tests.cases.conftest import CONTENT_DIR


def test_call_loads_with_times_in_the_group_zone_and_its_rubric(call):
    assert call.title.startswith("Call for case studies")
    assert call.reviewers_per_case == 3 and call.max_load == 12
    assert call.opens_at.tzinfo is not None
    # 23:59 in Geneva in summer (CEST, UTC+2) is 21:59 UTC.
    assert (call.closes_at.hour, call.closes_at.minute) == (21, 59)
    assert [c.key for c in call.criteria] == ["innovation", "relevance", "quality", "replicability", "gender"]
    assert call.criteria[-1].min_score == 0 and call.criteria[-1].max_score == 3
    assert "expert group meeting" in call.description


def test_second_load_changes_nothing(call, db):
    before = [(c.id, c.key, c.weight) for c in call.criteria]
    summaries = load_content(CONTENT_DIR)
    assert any("unchanged" in s for s in summaries if s.startswith("call"))
    summaries = load_content(CONTENT_DIR, force=True)
    db.session.flush()
    assert not db.session.dirty
    assert [(c.id, c.key, c.weight) for c in db.session.scalars(sa.select(Criterion).order_by(Criterion.position))] == before
    assert db.session.scalar(sa.select(sa.func.count(Call.id))) == 1


def _copy_content(tmp_path: Path, text_edit) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    path = target / "cases" / "egm-2014.yaml"
    path.write_text(text_edit(path.read_text()))
    return target


@pytest.mark.parametrize("old,new,line,words", [
    ("      max: 5\n    - key: relevance", "      max: 0\n    - key: relevance", 20, "criteria.0"),
    ("  max_load: 12", "  max_load: many", 12, "max_load"),
    ("  closes: 2014-06-30 23:59", "  closes: 2014-04-30 23:59", 5, "'closes' must be after 'opens'"),
    ("    - key: gender", "    - key: innovation", 39, "appears more than once"),
])
def test_errors_name_file_and_line(db, tmp_path, frozen_clock, old, new, line, words):
    content = _copy_content(tmp_path, lambda text: text.replace(old, new))
    with pytest.raises(ContentError) as error:
        load_content(content)
    assert error.value.path.name == "egm-2014.yaml"
    assert words in str(error.value)
    assert error.value.line is not None and error.value.line == line


def test_rubric_cannot_change_after_a_review_is_submitted(call, db, make_case, make_reviewer, tmp_path):
    from gmgportal.cases import services
    from gmgportal.core.errors import Refused

    reviewer = make_reviewer(agency="IOM")
    assignment = services.assign_reviewer(make_case(), reviewer)
    services.save_review(assignment, services.ReviewData({c.id: c.max_score for c in call.criteria},
                                                         recommendation="accept"), submit=True)
    db.session.commit()
    with pytest.raises(Refused) as refusal:
        services.replace_rubric(call, [{"key": "innovation", "name": "Innovation", "weight": 1, "min_score": 1,
                                        "max_score": 10}])
    assert refusal.value.status == 409
    content = _copy_content(tmp_path, lambda text: text.replace("weight: 3", "weight: 4"))
    with pytest.raises(ContentError, match="rubric cannot change"):
        load_content(content)
