"""The activity exports' HTTP headers."""
from __future__ import annotations


def test_the_csv_export_says_its_charset_once(auth, client, people, twg1):
    auth.login("focal.iom@example.org")
    response = client.get("/programme/twg1/activities.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data(as_text=True).lstrip("\ufeff").startswith('"Output","Activity"')
    xlsx = client.get("/programme/twg1/activities.xlsx")
    assert xlsx.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
