"""A second group loaded through the same content loader gets its own report: nothing of TWG1's."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from gmgportal.programme.models import Status
from gmgportal.programme.queries import Period, get_group
from gmgportal.reports.assemble import assemble_report
from gmgportal.reports.render import ReportDocument, report_markdown
from tests.conftest import CONTENT_DIR

SECOND_GROUP = """
group:
  slug: twg3
  short_name: TWG3
  name: "Thematic Working Group 3: Labour Migration"
  chair: {agency: ILO, person: Ana Ruiz}
  co_chair: {agency: OECD, person: Jean Martin}
themes:
  - slug: gender
    name: Gender
    description: Women migrant workers.
objectives:
  - Better statistics on labour migration
outputs:
  - code: "3.1"
    title: Guidelines on labour migration statistics
    activities:
      - number: 1
        title: Draft the guidelines
        lead: ILO
        partners: [World Bank]
        themes: [gender]
        milestones:
          - {title: First draft, due: 2014-07-15}
findings:
  - key: ilo-funding
    kind: risk
    date: 2014-03-01
    text: The survey module needs funding.
  - key: ilo-outcome
    kind: outcome
    date: 2014-03-01
    text: Ministries of labour use comparable figures.
"""


@pytest.fixture
def second_group(db, tmp_path):
    from gmgportal.core.content import load_content

    content = tmp_path / "content"
    (content / "programme").mkdir(parents=True)
    for name in ("agencies.yaml", "demo_accounts.yaml"):
        shutil.copy(CONTENT_DIR / name, content / name)
    (content / "programme" / "twg3.yaml").write_text(SECOND_GROUP, encoding="utf-8")
    load_content(Path(content))
    db.session.commit()
    return get_group("twg3")


def test_a_second_group_gets_its_own_report(second_group, make_user, log_update):
    from gmgportal.programme.models import Activity
    from gmgportal.extensions import db

    activity = db.session.scalar(db.select(Activity))
    log_update(activity, make_user(agency="ILO"), dt.date(2014, 4, 1), Status.AT_RISK, 15, "Consultant hired.")
    report = assemble_report(second_group, Period(dt.date(2014, 1, 1), dt.date(2014, 6, 30)))
    text = report_markdown(ReportDocument(report.title, report.header, report.sections))
    assert report.header.startswith("**Thematic Working Group 3: Labour Migration**")
    assert "Chair: Ana Ruiz, ILO" in text and "Co-Chair: Jean Martin, OECD" in text
    assert "- Better statistics on labour migration." in text
    assert "- **Output 3.1:** *Guidelines on labour migration statistics.*" in text
    assert "    - (1) Draft the guidelines. *Status: At risk, 15 % complete.*" in text
    assert "Consultant hired." in text and "The survey module needs funding." in text
    assert "Ministries of labour use comparable figures." in report.section("outcomes").body
    assert "- **Gender:** Women migrant workers. Activities: 3.1 (1). The survey module" not in text
    assert "- **Gender:** Women migrant workers. Activities: 3.1 (1)." in text
    assert report.members == ("ILO", "World Bank") and report.collaborators == ("OECD",)
    assert "Agencies that logged no progress between 1 January 2014 and 30 June 2014: World Bank." in text
    assert "- 3.1 (1): First draft, July 2014." in text
    for twg1_word in ("TWG1", "Remittance", "handbook", "Bela Hovy", "UN/DESA", "1.2"):
        assert twg1_word not in text
