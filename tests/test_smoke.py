def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b"<h1>Log in</h1>" in response.data
    assert b"<title>Log in \xe2\x80\x93 GMG Portal</title>" in response.data


def test_home_redirects_anonymous_users_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_focal_point_logs_in_and_sees_home(auth, make_user, client):
    make_user("fp@example.org", agency="ILO")
    response = auth.login("fp@example.org", follow=True)
    assert b"What needs you" in response.data
    assert b"Welcome" in response.data
