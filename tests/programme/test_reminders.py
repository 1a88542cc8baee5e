
import sqlalchemy as sa

from gmgportal.programme.models import ReminderSent


def outbox(app):
    return app.extensions.setdefault("mail_outbox", [])


def test_send_reminders_mails_lead_agency_focal_points_once_a_day(app, db, runner, people, make_user):
    desa = make_user("focal.desa@example.org", agency="UN/DESA")
    result = runner.invoke(args=["gmg", "send-reminders", "--date", "2014-08-20"])
    assert result.exit_code == 0, result.output
    # Due within 14 days on 20 August 2014: the draft handbook (31 August), led by UN/DESA.
    assert "UN/DESA: reminded 1 focal point(s) about 1 milestone(s), 0 overdue" in result.output
    [message] = outbox(app)
    assert message["To"] == desa.email
    assert "1.2 (1) Draft handbook: due 31 August 2014" in message.get_content()
    again = runner.invoke(args=["gmg", "send-reminders", "--date", "2014-08-20"])
    assert "No milestones need a reminder today." in again.output and len(outbox(app)) == 1
    next_day = runner.invoke(args=["gmg", "send-reminders", "--date", "2014-09-01"])
    assert next_day.exit_code == 0 and len(outbox(app)) > 1
    assert "OVERDUE, was due 31 August 2014" in outbox(app)[1].get_content()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderSent)) >= 2


def test_send_reminders_skips_far_milestones_and_agencies_without_focal_points(app, runner, people):
    result = runner.invoke(args=["gmg", "send-reminders", "--date", "2014-06-01"])
    assert "No milestones need a reminder today." in result.output and outbox(app) == []
    result = runner.invoke(args=["gmg", "send-reminders", "--date", "2014-09-25"])
    # IOM leads the expert group meeting (30 September) and has focal points; UN/DESA has none here.
    assert "IOM: reminded 2 focal point(s)" in result.output
    assert "UN/DESA: 2 milestone(s) but no active focal point to remind" in result.output  # 31 Aug and 30 Sep


def test_send_reminders_rejects_a_bad_date(runner):
    result = runner.invoke(args=["gmg", "send-reminders", "--date", "31/08/2014"])
    assert result.exit_code != 0 and "Invalid value" in result.output


def test_chair_sends_reminders_as_a_background_job(app, db, people, make_user):
    from gmgportal.jobs import run_job_inline, start_job
    from gmgportal.jobs.models import JobState

    make_user("focal.desa@example.org", agency="UN/DESA")
    job = start_job("send_reminders", people["chair"], {"on": "2014-08-20"}, enqueue=False)
    db.session.commit()  # the request that starts a job commits it; a worker runs only committed jobs
    run_job_inline(job)
    db.session.refresh(job)
    assert job.state is JobState.DONE
    assert "UN/DESA: reminded 1 focal point(s) about 1 milestone(s), 0 overdue." in job.message
    assert len(outbox(app)) == 1


def test_focal_point_cannot_start_the_reminders_job(auth, client, people):
    auth.login("focal.iom@example.org")
    token = auth.csrf_token("/jobs/")
    assert client.post("/jobs/start/send_reminders", data={"csrf_token": token}).status_code == 403
    assert "Send reminders now" not in client.get("/jobs/").get_data(as_text=True)


def test_chair_is_offered_the_reminders_job(auth, client, people):
    auth.login("chair@example.org")
    assert "Send reminders now" in client.get("/jobs/").get_data(as_text=True)
