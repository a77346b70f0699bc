from django.contrib.auth.models import Group, User


def test_teachers_group_exists(db):
    assert Group.objects.filter(name="Teachers").exists()


def test_signup_page(client, db):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ["Username", "Email", "Password", "Password confirmation"]:
        assert label in html


def test_signup_creates_a_user_and_signs_them_in(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dana",
            "email": "",
            "password1": "a long unusual passphrase",
            "password2": "a long unusual passphrase",
            "next": "/lessons/ecs/",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/lessons/ecs/"
    assert User.objects.filter(username="dana").exists()
    assert "Signed in as <strong>dana</strong>" in client.get("/").content.decode()


def test_signup_rejects_weak_and_mismatched_passwords(client, db):
    response = client.post(
        "/accounts/signup/", {"username": "erin", "password1": "password", "password2": "password"}
    )
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    response = client.post(
        "/accounts/signup/",
        {"username": "erin", "password1": "a long unusual passphrase", "password2": "different"},
    )
    assert "The two password fields didn’t match." in response.content.decode()
    assert not User.objects.filter(username="erin").exists()


def test_signup_rejects_a_taken_username_and_a_bad_email(client, alice):
    response = client.post(
        "/accounts/signup/",
        {"username": "alice", "email": "not-an-email", "password1": "x", "password2": "x"},
    )
    html = response.content.decode()
    assert "A user with that username already exists." in html
    assert "Enter a valid email address." in html


def test_signup_ignores_an_offsite_next(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "fred",
            "password1": "a long unusual passphrase",
            "password2": "a long unusual passphrase",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"


def test_login_and_logout(client, alice):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "Log in" in page.content.decode()
    bad = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert bad.status_code == 200
    assert "Please enter a correct username and password" in bad.content.decode()
    good = client.post(
        "/accounts/login/", {"username": "alice", "password": "correct horse battery"}
    )
    assert good.status_code == 302
    assert client.get("/accounts/logout/").status_code == 405  # logout only by POST
    assert client.post("/accounts/logout/").status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_password_change_requires_login_and_works(client, alice):
    assert client.get("/accounts/password_change/").status_code == 302
    client.force_login(alice)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "correct horse battery",
            "new_password1": "another long passphrase",
            "new_password2": "another long passphrase",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another long passphrase")


def test_password_reset_sends_an_email(client, alice, mailoutbox):
    assert client.get("/accounts/password_reset/").status_code == 200
    response = client.post("/accounts/password_reset/", {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "alice" in mailoutbox[0].body
