"""The call for case studies as new users meet it: an outside submitter registers, confirms and
submits a case with an attachment; the chair runs the automatic assignment, watches it, and confirms
it; a reviewer scores and then sees the other reviews; the chair ranks, decides and releases; the
submitter reads the decision with the comments meant for them. axe on every page; screenshots."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:
    expect = None

from gmgportal.core.permissions import Role
from tests.browser.helpers import logout, visit

CONTENT_DIR = Path(__file__).resolve().parents[2] / "content"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PASSWORD = "a long outside password"


@pytest.fixture
def egm(db, make_user, frozen_clock):
    """The call from content/, the chair and three reviewers with expertise. Listed before live_server."""
    from gmgportal.cases.services import save_reviewer_profile
    from gmgportal.core.content import load_content

    frozen_clock.freeze("2014-06-02")
    load_content(CONTENT_DIR)
    db.session.commit()
    make_user("chair@example.org", roles=(Role.CHAIR,), agency="UN/DESA", name="Bela Hovy")
    people = [("iom.rev@example.org", "IOM", "Irene Okafor", "mobile phone records, call detail records"),
              ("ilo.rev@example.org", "ILO", "Lars Lindqvist", "labour migration, surveys"),
              ("wb.rev@example.org", "World Bank", "Wen Bao", "remittances, mobile money, phone data")]
    for email, agency, name, keywords in people:
        user = make_user(email, roles=(Role.REVIEWER,), agency=agency, name=name)
        save_reviewer_profile(user, keywords, "")
    db.session.commit()



def open_own_review(page, live_server, login_as, email: str, case: str = "Case 1") -> None:
    """Log in as a reviewer and open their review of the case from their list."""
    login_as(page, live_server, email)
    page.goto(f"{live_server.url}/cases/reviews")
    page.get_by_role("link", name=re.compile(f"^{case}")).click()

def test_call_from_registration_to_decision(egm, app, db, live_server, page, login_as, check_a11y, screenshot,
                                            queue_worker, tmp_path):
    # An outside submitter registers and confirms the address.
    page.goto(f"{live_server.url}/cases/register")
    visit(page, check_a11y, screenshot, "cases-register", "Register to submit a case study")
    page.get_by_label("Your name").fill("Amadou Diallo")
    page.get_by_label("E-mail address").fill("amadou@ansd.example")
    page.get_by_label("Organisation").fill("ANSD Senegal")
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    visit(page, check_a11y, screenshot, "cases-registered", "Check your e-mail")
    mail = app.extensions["mail_outbox"][-1].get_content()
    link = re.search(r"(/cases/register/confirm/\S+)", mail).group(1)
    page.goto(live_server.url + link)
    visit(page, check_a11y, screenshot, "cases-confirm", "Confirm your e-mail address")
    page.get_by_role("button", name="Confirm my address").click()
    login_as(page, live_server, "amadou@ansd.example", PASSWORD)

    # ... and submits a case with an attachment.
    page.get_by_role("link", name="Case studies", exact=True).click()
    visit(page, check_a11y, screenshot, "cases-call", "Call for case studies: innovative data practices on migration")
    expect(page.get_by_text("30 June 2014, 23:59 CEST (Europe/Zurich)")).to_be_visible()
    page.get_by_role("link", name="Start a case study").click()
    visit(page, check_a11y, screenshot, "cases-submission-form", "Start a case study")
    page.locator("#title").fill("Mobile phone records to measure seasonal migration in Senegal")
    # The long country list has a filter box (without scripts the native list works as before).
    finder = page.get_by_label("Find countries by name")
    finder.fill("mal")
    expect(page.locator("#countries-filter-count")).to_contain_text("8 of 249 match")
    shown = page.locator("#countries").evaluate(
        "s => Array.from(s.options).filter(o => !o.hidden).map(o => o.value)")
    assert "MLI" in shown and "SOM" in shown and "FRA" not in shown and "SEN" not in shown
    finder.press("ArrowDown")
    expect(page.locator("#countries")).to_be_focused()
    expect(page.locator("#countries-chosen")).to_have_text("None chosen yet.")
    page.locator("#countries").select_option(["SEN", "MLI"])
    expect(page.locator("#countries-chosen")).to_have_text("Chosen: Mali, Senegal.")
    finder.fill("")
    screenshot(page, "cases-country-filter")
    page.get_by_label("Mobile phone records").check()
    page.locator("#summary").fill("Call detail records from an operator show **seasonal moves**.")
    page.locator("#method").fill("Home location from night-time calls, weighted to the census.")
    page.get_by_label("What is innovative").fill("Monthly flows at commune level.")
    page.get_by_label("How it can be replicated in other countries").fill("Any operator with a data agreement.")
    page.get_by_label("Gender aspects").fill("Subscriber sex from registration data.")
    # Preview: the texts as the case page will show them; nothing is saved, nothing typed is lost.
    page.get_by_role("button", name="Preview").click()
    visit(page, check_a11y, screenshot, "cases-submission-preview", "Start a case study")
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text("seasonal moves")
    expect(preview).to_contain_text("Mali, Senegal")
    expect(page.locator("#summary")).to_have_value("Call detail records from an operator show **seasonal moves**.")
    pdf = tmp_path / "method-note.pdf"
    pdf.write_bytes(PDF_BYTES)
    page.get_by_label("Attachments").set_input_files(str(pdf))
    page.get_by_role("button", name="Save draft").click()
    visit(page, check_a11y, screenshot, "cases-submission-draft",
          "Case 1: Mobile phone records to measure seasonal migration in Senegal")
    expect(page.get_by_role("link", name="method-note.pdf")).to_be_visible()
    page.get_by_role("link", name="Check and submit").click()
    visit(page, check_a11y, screenshot, "cases-submit-confirm", "Check your case study before submitting")
    page.get_by_role("button", name="Submit case study").click()
    expect(page.get_by_role("status")).to_contain_text("submitted (version 1)")
    logout(page)

    # The chair runs the automatic assignment, watches it, and confirms the proposal.
    login_as(page, live_server, "chair@example.org")
    page.goto(f"{live_server.url}/cases/egm-2014/manage")
    visit(page, check_a11y, screenshot, "cases-manage", "Manage the call")
    page.get_by_role("button", name="Propose reviewers automatically").click()
    expect(page.locator("[data-job-tag]")).to_have_text("Done", timeout=20_000)
    expect(page.locator("#job-message")).to_contain_text("Proposal")
    screenshot(page, "cases-assignment-job")
    page.goto(f"{live_server.url}/cases/egm-2014/manage")
    page.get_by_role("link", name=re.compile(r"^proposal \d+")).click()
    visit(page, check_a11y, screenshot, "cases-proposal", "Proposed reviewers")
    expect(page.get_by_role("rowheader", name="Irene Okafor", exact=True)).to_be_visible()
    page.get_by_role("button", name="Confirm and e-mail the reviewers").click()
    expect(page.get_by_role("status")).to_contain_text("3 assignments made")
    logout(page)

    # Two reviewers submit; the third sees their reviews only after submitting.
    for email, score, words in (("ilo.rev@example.org", "4", "Solid method."), ("wb.rev@example.org", "5", "Great.")):
        open_own_review(page, live_server, login_as, email)
        for select in page.locator("select[name^=score_]").all():
            select.select_option(index=2)
        page.get_by_label("Recommendation").select_option("accept")
        page.get_by_label("Comments for the authors").fill(words)
        page.get_by_label("Confidential comments for the chairs").fill("Only for the chairs.")
        page.get_by_role("button", name="Submit review").click()
        expect(page.get_by_role("status")).to_contain_text("Review submitted")
        logout(page)

    login_as(page, live_server, "iom.rev@example.org")
    page.goto(f"{live_server.url}/cases/reviews")
    visit(page, check_a11y, screenshot, "cases-my-reviews", "Your reviews")
    page.get_by_role("link", name=re.compile("^Case 1")).click()
    visit(page, check_a11y, screenshot, "cases-review-form", "Review of Case 1")
    expect(page.get_by_text("Solid method.")).to_have_count(0)
    for select in page.locator("select[name^=score_]").all():
        select.select_option(index=1)
    page.get_by_label("Recommendation").select_option("discuss")
    page.get_by_label("Comments for the authors").fill("Please show the weighting.")
    page.get_by_role("button", name="Submit review").click()
    visit(page, check_a11y, screenshot, "cases-review-submitted", "Review of Case 1")
    expect(page.get_by_role("heading", name=re.compile(r"^Reviewer \d$"))).to_have_count(2)
    expect(page.get_by_text("Solid method.")).to_be_visible()
    expect(page.get_by_text("Lars Lindqvist")).to_have_count(0)
    expect(page.get_by_text("Only for the chairs.")).to_have_count(0)
    logout(page)

    # The chair ranks, decides and releases.
    login_as(page, live_server, "chair@example.org")
    page.goto(f"{live_server.url}/cases/egm-2014/ranking")
    visit(page, check_a11y, screenshot, "cases-ranking", "Ranking and decisions")
    page.get_by_label("Choose Case 1").check()
    page.locator("#outcome").select_option("accept")
    page.locator("#note").fill("We look forward to your presentation.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("status")).to_contain_text("recorded for 1 case")
    page.get_by_role("link", name="Release decisions…").click()
    visit(page, check_a11y, screenshot, "cases-release", "Release the decisions?")
    page.get_by_role("button", name="Release and send the e-mails").click()
    expect(page.get_by_role("status")).to_contain_text("1 decision released")
    # ... and builds the agenda.
    page.goto(f"{live_server.url}/cases/egm-2014/meeting")
    visit(page, check_a11y, screenshot, "cases-meeting-setup", "Set up the meeting")
    page.locator("#title").fill("Expert group meeting on innovative data practices")
    page.locator("#starts_on").fill("2014-09-15")
    page.locator("#ends_on").fill("2014-09-16")
    page.locator("#venue").fill("Palais des Nations, Geneva")
    page.get_by_role("button", name="Save the meeting").click()
    page.locator("#title").first.fill("Mobile phone data")
    page.locator("#day").fill("2014-09-15")
    page.locator("#time").fill("09:30")
    page.locator("#chair_name").fill("Bela Hovy")
    page.get_by_role("button", name="Add the session").click()
    page.get_by_role("button", name="Place in this session").click()
    visit(page, check_a11y, screenshot, "cases-agenda", "Expert group meeting on innovative data practices")
    expect(page.get_by_role("heading", name="15 September 2014, 09:30 – Mobile phone data")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Mobile phone records to measure")).to_be_visible()
    page.emulate_media(media="print")
    screenshot(page, "cases-agenda-print")
    page.emulate_media(media="screen")
    page.goto(f"{live_server.url}/cases/egm-2014/progress")
    visit(page, check_a11y, screenshot, "cases-progress", "Review progress")
    logout(page)

    # The submitter reads the decision with the comments meant for them.
    login_as(page, live_server, "amadou@ansd.example", PASSWORD)
    page.goto(f"{live_server.url}/cases/submissions/1")
    visit(page, check_a11y, screenshot, "cases-decision", "Case 1: Mobile phone records to measure seasonal migration in Senegal")
    expect(page.get_by_text("Accepted")).to_be_visible()
    expect(page.get_by_text("Please show the weighting.")).to_be_visible()
    expect(page.get_by_text("Only for the chairs.")).to_have_count(0)
    page.set_viewport_size({"width": 360, "height": 800})
    screenshot(page, "cases-decision-phone")


def test_a_reviewer_declines_and_the_chair_picks_a_replacement(egm, app, db, make_user, live_server, page, login_as,
                                                                check_a11y, screenshot):
    """A reviewer declares a conflict; the chair sees the case needs a reviewer on the progress page and
    picks the best-matching eligible reviewer, who gets the e-mail with the due date. Then on a phone."""
    from gmgportal.auth.services import get_user_by_email
    from gmgportal.cases import services
    from gmgportal.cases.services import save_reviewer_profile
    from tests.browser.layout import PHONE, check_layout

    olga = make_user("oecd.rev@example.org", roles=(Role.REVIEWER,), agency="OECD", name="Olga Petrova")
    save_reviewer_profile(olga, "mobile phone data, children", "")
    submitter = make_user("unicef.fp@example.org", roles=(Role.FOCAL_POINT,), agency="UNICEF", name="Uma Fp")
    call = services.get_call("egm-2014")
    case = services.create_submission(call, submitter, services.SubmissionData(
        title="Mobile phone data on children who move", organisation="UNICEF", countries=["KEN"],
        data_kinds=["mobile_phone_records"], summary="Phone data.", method="Records.", innovation="New",
        replication="Any", contact_email=submitter.email))
    services.submit_case(case)
    for email in ("iom.rev@example.org", "ilo.rev@example.org", "wb.rev@example.org"):
        services.assign_reviewer(case, get_user_by_email(email))
    db.session.commit()

    open_own_review(page, live_server, login_as, "ilo.rev@example.org")
    page.get_by_role("link", name="Declare a conflict of interest instead").click()
    visit(page, check_a11y, screenshot, "cases-declare-conflict", "Declare a conflict of interest")
    page.get_by_label("Reason").fill("I advised the team that collected these data.")
    page.get_by_role("button", name="Declare a conflict").click()
    expect(page.get_by_role("status")).to_contain_text("Conflict declared")
    logout(page)

    login_as(page, live_server, "chair@example.org")
    page.goto(f"{live_server.url}/cases/egm-2014/progress")
    visit(page, check_a11y, screenshot, "cases-progress-needs-reviewer", "Review progress")
    places = page.get_by_role("table", name="Cases that need a reviewer")
    expect(places.get_by_role("rowheader")).to_have_text("Case 1: Mobile phone data on children who move")
    expect(page.get_by_role("button", name="Propose reviewers for the 1 open place")).to_be_visible()
    places.get_by_role("link", name="Choose a replacement for Case 1").click()
    visit(page, check_a11y, screenshot, "cases-replacement", "Case 1: reviewers and reviews")
    expect(page.get_by_text("2 of 3 reviewers; 1 declared a conflict of interest")).to_be_visible()
    reviewer = page.get_by_label("Reviewer", exact=True)
    options = reviewer.locator("option").all_inner_texts()
    assert options[1].startswith("Olga Petrova (OECD): match"), options  # the only eligible one
    assert not any("Lars Lindqvist" in o or "Irene Okafor" in o for o in options)
    reviewer.select_option(index=1)
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_contain_text("Olga Petrova assigned to Case 1")
    expect(page.get_by_text("Needs a reviewer")).to_have_count(0)
    mail = app.extensions["mail_outbox"][-1]
    assert mail["To"] == "oecd.rev@example.org" and "due by 31 July 2014" in mail.get_content()
    page.set_viewport_size(PHONE)
    for name, path in (("cases-replacement-phone", f"/cases/submissions/{case.id}/reviewers"),
                       ("cases-progress-phone", "/cases/egm-2014/progress")):
        page.goto(live_server.url + path)
        check_a11y(page)
        screenshot(page, name)
        check_layout(page, path, PHONE)


def test_a_chair_who_reviews_a_case_sees_it_hidden_until_their_review_is_in(egm, db, make_user, live_server, page,
                                                                             login_as, check_a11y, screenshot):
    from gmgportal.auth.services import get_user_by_email
    from gmgportal.cases import services
    from tests.browser.layout import PHONE, check_layout

    carla = make_user("carla@example.org", roles=(Role.CHAIR, Role.REVIEWER), agency="OECD", name="Carla Chair")
    submitter = make_user("unicef.fp@example.org", roles=(Role.FOCAL_POINT,), agency="UNICEF", name="Uma Fp")
    call = services.get_call("egm-2014")
    case = services.create_submission(call, submitter, services.SubmissionData(
        title="Mobile phone data on children who move", organisation="UNICEF", countries=["KEN"],
        data_kinds=["mobile_phone_records"], summary="Phone data.", method="Records.", innovation="New",
        replication="Any", contact_email=submitter.email))
    services.submit_case(case)
    assignments = [services.assign_reviewer(case, person) for person in
                   (get_user_by_email("iom.rev@example.org"), get_user_by_email("wb.rev@example.org"), carla)]
    services.save_review(assignments[0], services.ReviewData(
        {c.id: c.max_score for c in call.criteria}, "Irene's words for the authors", "Irene's secret", "accept"),
        submit=True)
    db.session.commit()

    login_as(page, live_server, "carla@example.org")
    page.goto(f"{live_server.url}/cases/egm-2014/ranking")
    visit(page, check_a11y, screenshot, "cases-ranking-chair-reviewer", "Ranking and decisions")
    row = page.get_by_role("row").filter(has_text="Mobile phone data on children who move")
    expect(row.locator("td[data-label=Mean]")).to_contain_text("Hidden")
    expect(page.locator("#hidden-note")).to_contain_text("you review this case")
    page.get_by_role("link", name="Mobile phone data on children who move").click()
    visit(page, check_a11y, screenshot, "cases-case-chair-reviewer", "Case 1: reviewers and reviews")
    expect(page.get_by_text("hidden from you until you submit your review")).to_be_visible()
    expect(page.get_by_text("Irene Okafor")).to_have_count(0)
    expect(page.get_by_text("Irene's secret")).to_have_count(0)
    expect(page.get_by_role("link", name="Go to your review")).to_have_attribute(
        "href", f"/cases/reviews/{assignments[2].id}")
    page.set_viewport_size(PHONE)
    check_layout(page, f"/cases/submissions/{case.id}/reviewers", PHONE)
    screenshot(page, "cases-case-chair-reviewer-phone")


def test_the_manage_page_pages_and_filters_many_cases(egm, db, make_user, live_server, page, login_as, check_a11y,
                                                      screenshot):
    """65 submitted cases: the chair sees 50, filters by title and by open places, and pages on; on a phone the
    table stacks and the filters and pages still work. axe on each view."""
    from gmgportal.auth.services import get_user_by_email
    from gmgportal.cases import services
    from gmgportal.cases.models import Submission, SubmissionStatus
    from gmgportal.core import clock
    from tests.browser.test_every_page import PHONE, check_layout

    submitter = make_user("unicef.fp@example.org", roles=(Role.FOCAL_POINT,), agency="UNICEF", name="Uma Fp")
    call = services.get_call("egm-2014")
    topics = ("Mobile phone records on seasonal migration", "Census round 2010: country of birth")
    db.session.add_all(Submission(call=call, submitter=submitter, agency_id=submitter.agency_id,
                                  title=f"{topics[i % 2]} ({i + 1})", status=SubmissionStatus.SUBMITTED,
                                  submitted_at=clock.now()) for i in range(65))
    db.session.commit()
    first = db.session.scalar(db.select(Submission).order_by(Submission.id))
    services.assign_reviewer(first, get_user_by_email("iom.rev@example.org"))
    db.session.commit()

    login_as(page, live_server, "chair@example.org")
    page.goto(f"{live_server.url}/cases/egm-2014/manage")
    visit(page, check_a11y, screenshot, "cases-manage-paged", "Manage the call")
    table = page.get_by_role("table", name="Submitted cases and their reviewers")
    expect(table.get_by_role("rowheader")).to_have_count(50)
    expect(page.get_by_text("Page 1 of 2 (65 in all)")).to_be_visible()
    page.get_by_label("Title contains").fill("census")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("32 in all.")).to_be_visible()
    expect(table.get_by_role("rowheader").first).to_contain_text("Census round 2010")
    page.get_by_label("Title contains").fill("")
    page.get_by_label("Only cases that need a reviewer").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Page 1 of 2 (65 in all)")).to_be_visible()  # one reviewer of 3: still needs two
    page.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"needs=1"))
    expect(table.get_by_role("rowheader")).to_have_count(15)
    expect(page.get_by_label("Only cases that need a reviewer")).to_be_checked()
    check_a11y(page)
    screenshot(page, "cases-manage-filtered-page-2")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/cases/egm-2014/manage")
    check_a11y(page)
    check_layout(page, "/cases/egm-2014/manage", PHONE)
    screenshot(page, "cases-manage-phone")
