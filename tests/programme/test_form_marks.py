"""The programme's forms mark optional fields "(optional)" and leave required ones unmarked."""
from __future__ import annotations

from tests.conftest import form_labels


def test_programme_forms_mark_optional_fields(client, auth, people, twg1, activity_by_ref):
    auth.login("chair@example.org")
    activity = activity_by_ref("1.2 (1)")
    html = client.get(f"/programme/{twg1.slug}/activities/{activity.id}/edit").get_data(as_text=True)
    labels = form_labels(html)
    assert "(required)" not in html
    assert labels["title"] == "Title" and labels["lead_agency_id"] == "Lead agency"
    assert labels["description"] == "Description (optional)" and labels["start_date"] == "Start date (optional)"
