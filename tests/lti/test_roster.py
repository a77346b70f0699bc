"""“Sync roster from the LMS” on a linked class's page: the NRPS roster on a teacher's demand,
against the test platform's membership endpoint. A failing LMS gives a clear message and
changes nothing."""

import pytest
from django.test import Client

from quizzes.models import Classroom
from quizzes.teach.lti.models import LtiContext
from tests.lti.platform import launch

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLES = "https://purl.imsglobal.org/spec/lti/claim/roles"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
HTMX = {"HTTP_HX_REQUEST": "true"}


def member(sub, given, role=LEARNER, status="Active"):
    return {"user_id": sub, "roles": [role], "status": status, "given_name": given}


TEACHER = member("lms-user-1", "Ada", INSTRUCTOR)


@pytest.fixture
def linked(client, lms):
    """A teacher's launch made the class and synced Sam and Kim; then the LMS roster changes."""
    lms.members = [TEACHER, member("s-1", "Sam"), member("s-2", "Kim")]
    response, _, _ = launch(client, lms, **{ROLES: [INSTRUCTOR]})
    assert response.status_code == 303
    context = LtiContext.objects.get(context_id="course-42")
    lms.requests.clear()
    lms.members = [TEACHER, member("s-1", "Sam"), member("s-3", "Lee")]
    return context


def url(classroom):
    return f"/teach/classes/{classroom.pk}/lms-roster/"


def roster(classroom):
    return sorted(classroom.enrollments.values_list("student__first_name", flat=True))


def test_the_class_page_offers_the_sync_to_its_teachers(client, linked):
    page = client.get(f"/teach/classes/{linked.classroom.pk}/").content.decode()
    assert 'id="lms-roster"' in page
    assert f'action="{url(linked.classroom)}"' in page
    assert "Sync roster from the LMS" in page and "csrfmiddlewaretoken" in page
    assert "Cloud 101" in page


def test_a_class_without_an_lms_link_has_no_roster_panel(client, lms, teacher):
    classroom = Classroom(name="Made here")
    classroom.save_new_code()
    classroom.teachers.add(teacher)
    client.force_login(teacher)
    page = client.get(f"/teach/classes/{classroom.pk}/").content.decode()
    assert 'id="lms-roster"' not in page
    response = client.post(url(classroom))
    assert response.status_code == 400
    assert "not linked to an LMS course" in response.content.decode()


def test_sync_adds_new_members_and_removes_those_gone(client, lms, linked):
    before = linked.synced_at
    response = client.post(url(linked.classroom), follow=True)
    assert response.redirect_chain == [(f"/teach/classes/{linked.classroom.pk}/#lms-roster", 302)]
    assert roster(linked.classroom) == ["Lee", "Sam"]
    text = response.content.decode()
    assert "joined: Lee" in text and "removed from the class: Kim" in text
    linked.refresh_from_db()
    assert linked.synced_at > before
    call = next(r for r in lms.requests if r["path"].startswith("/memberships"))
    assert call["headers"]["Authorization"] == "Bearer platform-token"
    assert "membershipcontainer" in call["headers"]["Accept"]


def test_sync_again_changes_nothing_and_says_so(client, lms, linked):
    client.post(url(linked.classroom))
    response = client.post(url(linked.classroom), **HTMX)
    assert response.status_code == 200
    assert response.templates[0].name == "lti/_roster.html"
    assert "no changes" in response.content.decode()
    assert roster(linked.classroom) == ["Lee", "Sam"]


def test_htmx_gets_the_panel_with_the_result(client, lms, linked):
    response = client.post(url(linked.classroom), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="lms-roster"')
    assert "joined: Lee" in html


def test_learner_names_from_the_lms_are_escaped(client, lms, linked):
    lms.members = [TEACHER, member("s-9", "<b>Bo</b>")]
    html = client.post(url(linked.classroom), **HTMX).content.decode()
    assert "&lt;b&gt;Bo&lt;/b&gt;" in html and "<b>Bo</b>" not in html


@pytest.mark.parametrize(
    "failure, message",
    [
        ("status", "refused to send the roster (HTTP 500)"),
        ("body", "not a membership list"),
        ("members-not-a-list", "not a membership list"),
        ("unreachable", "could not be reached"),
    ],
)
def test_a_failing_lms_gives_a_clear_message_and_changes_nothing(
    client, lms, linked, failure, message
):
    if failure == "status":
        lms.members_status = 500
    elif failure == "body":
        lms.membership_body = ["not", "a", "container"]
    elif failure == "members-not-a-list":
        lms.membership_body = {"id": "x", "members": {"s-1": "Sam"}}
    else:
        linked.memberships_url = "http://127.0.0.1:9/memberships"  # nothing listens there
        linked.save()
    before = (roster(linked.classroom), linked.synced_at)
    response = client.post(url(linked.classroom))
    assert response.status_code == 502
    assert message in response.content.decode()
    linked.refresh_from_db()
    assert (roster(linked.classroom), linked.synced_at) == before == (["Kim", "Sam"], before[1])
    htmx = client.post(url(linked.classroom), **HTMX)
    assert htmx.status_code == 200 and message in htmx.content.decode()


def test_an_empty_answer_does_not_empty_the_class(client, lms, linked):
    """PyLTI1p3 reads a page without "members" as nobody: here it is a refused answer."""
    lms.membership_body = {"id": "x"}
    assert client.post(url(linked.classroom)).status_code == 502
    assert roster(linked.classroom) == ["Kim", "Sam"]


def test_without_an_nrps_endpoint_the_teacher_is_told_what_to_do(client, lms, linked):
    LtiContext.objects.filter(pk=linked.pk).update(memberships_url="")
    page = client.get(f"/teach/classes/{linked.classroom.pk}/").content.decode()
    assert "Sync roster from the LMS" not in page and "Names and Role Provisioning" in page
    response = client.post(url(linked.classroom))
    assert response.status_code == 502
    assert "Names and Role Provisioning" in response.content.decode()
    assert lms.requests == []


def test_an_archived_class_is_read_only(client, lms, linked):
    Classroom.objects.filter(pk=linked.classroom.pk).update(is_archived=True)
    response = client.post(url(linked.classroom))
    assert response.status_code == 400
    assert roster(linked.classroom) == ["Kim", "Sam"]
    assert lms.requests == []


def test_only_the_class_teachers_may_sync(client, lms, linked, alice, teacher):
    classroom = linked.classroom
    anonymous = Client()
    response = anonymous.post(url(classroom))
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(alice)  # not a teacher
    assert client.post(url(classroom)).status_code == 403
    client.force_login(teacher)  # a teacher, not of this class: as if it did not exist
    assert client.post(url(classroom)).status_code == 404
    assert roster(classroom) == ["Kim", "Sam"]
    assert lms.requests == []


def test_sync_is_post_only_and_needs_the_csrf_token(lms, linked):
    strict = Client(enforce_csrf_checks=True)
    teacher = linked.classroom.teachers.get()
    strict.force_login(teacher)
    assert strict.get(url(linked.classroom)).status_code == 405
    assert strict.post(url(linked.classroom)).status_code == 403
    page = strict.get(f"/teach/classes/{linked.classroom.pk}/")
    token = page.context["csrf_token"]
    assert (
        strict.post(url(linked.classroom), {"csrfmiddlewaretoken": str(token)}).status_code == 302
    )
    assert roster(linked.classroom) == ["Lee", "Sam"]


def test_a_teacher_launch_gets_in_when_the_roster_fails(client, lms):
    lms.members_status = 500
    response, _, _ = launch(client, lms, **{ROLES: [INSTRUCTOR]})
    assert response.status_code == 303
    assert response.wsgi_request.user.is_authenticated
    assert roster(LtiContext.objects.get(context_id="course-42").classroom) == []
