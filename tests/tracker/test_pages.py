"""Logging in and out, the project list, and pages that do not exist or are not yours."""

import pytest
from pytest_django.asserts import assertRedirects

from issues import operations
from issues.models import Role
from tests.factories import IssueFactory, ProjectFactory, UserFactory

from .helpers import page_text


def test_login_page_shows_the_form(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    text = page_text(response)
    assert "Log in to Tracker" in text
    assert "Username" in text and "Password" in text


def test_login_with_the_right_password_opens_the_project_list(client, db):
    user = UserFactory()

    response = client.post("/accounts/login/", {"username": user.username, "password": "password"})

    assertRedirects(response, "/")
    assert client.get("/").context["user"] == user


def test_login_keeps_where_the_user_was_going(client, project, member):
    response = client.post(
        "/accounts/login/?next=/projects/WEB/board/",
        {"username": "alice", "password": "password", "next": "/projects/WEB/board/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/projects/WEB/board/"


def test_login_refuses_to_redirect_to_another_site(client, db):
    user = UserFactory()

    response = client.post(
        "/accounts/login/",
        {"username": user.username, "password": "password", "next": "https://evil.example.com/"},
    )

    assertRedirects(response, "/")


def test_wrong_password_shows_an_error_and_keeps_the_username(client, db):
    user = UserFactory()

    response = client.post("/accounts/login/", {"username": user.username, "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in page_text(response)
    assert f'value="{user.username}"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_by_post_ends_the_session(client, db):
    client.force_login(UserFactory())

    response = client.post("/accounts/logout/")

    assertRedirects(response, "/accounts/login/")
    assertRedirects(client.get("/"), "/accounts/login/?next=/")


def test_logout_by_get_is_not_allowed(client, db):
    client.force_login(UserFactory())

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert client.get("/").status_code == 200  # a link or prefetch cannot log anyone out


def test_anonymous_user_is_sent_to_log_in(client, db):
    assertRedirects(client.get("/"), "/accounts/login/?next=/")


def test_project_list_shows_key_name_and_open_issue_count(client, project, member, status):
    IssueFactory(project=project, actor=member)
    IssueFactory(project=project, actor=member, status=status("In progress"))
    IssueFactory(project=project, actor=member, status=status("Done"))
    IssueFactory(project=project, actor=member, status=status("Canceled"))
    client.force_login(member)

    response = client.get("/")

    assert response.status_code == 200
    text = page_text(response)
    assert "WEB" in text
    assert "Web app" in text
    assert "2 open issues" in text


def test_project_list_shows_only_the_users_projects(client, project, member):
    ProjectFactory(key="SECRET", name="Secret plans")
    client.force_login(member)

    text = page_text(client.get("/"))

    assert "Web app" in text
    assert "Secret plans" not in text


def test_superuser_sees_every_project(client, project):
    ProjectFactory(key="OPS", name="Operations")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    text = page_text(client.get("/"))

    assert "Web app" in text and "Operations" in text


def test_user_without_projects_sees_the_friendly_empty_state(client, db):
    client.force_login(UserFactory())

    response = client.get("/")

    assert response.status_code == 200
    assert "No projects yet" in page_text(response)
    assert "Ask a project admin to add you" in page_text(response)


def test_project_list_queries_do_not_grow_with_projects(client, db, django_assert_max_num_queries):
    user = UserFactory()
    for n in range(8):
        project = ProjectFactory(key=f"P{n}X")
        operations.add_member(project=project, user=user, role=Role.MEMBER)
        IssueFactory(project=project, actor=user)
    client.force_login(user)

    with django_assert_max_num_queries(6):
        response = client.get("/")

    assert page_text(response).count("1 open issue") == 8


def test_top_bar_has_product_name_project_switcher_and_user_menu(client, project, member):
    client.force_login(member)

    response = client.get("/")

    html = response.content.decode()
    assert 'class="brand"' in html
    assert 'class="menu project-switcher"' in html
    assert 'class="menu user-menu"' in html
    assert 'action="/accounts/logout/"' in html


def test_non_member_gets_404_for_a_project_board(client, project, outsider):
    client.force_login(outsider)

    response = client.get("/projects/WEB/board/")

    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_unknown_project_looks_the_same_as_a_private_one(client, project, outsider):
    client.force_login(outsider)

    private = client.get("/projects/WEB/board/")
    unknown = client.get("/projects/NOPE/board/")

    assert private.status_code == unknown.status_code == 404
    assert page_text(private) == page_text(unknown)


@pytest.mark.parametrize("url", ["/no-such-page/", "/projects/WEB/nothing-here/"])
def test_unknown_url_gets_the_friendly_404_page(client, db, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 404
    assert "Back to your projects" in page_text(response)


def test_server_error_page_renders_without_context_or_database(rf):
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "Something went wrong" in page_text(response)
    assert "/static/css/app.css" in response.content.decode()


def test_bad_request_page_is_friendly(rf):
    from django.views.defaults import bad_request

    response = bad_request(rf.get("/"), exception=None)

    assert response.status_code == 400
    assert "could not be understood" in page_text(response)


def test_forbidden_page_says_why(client, member):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = client.get("/").wsgi_request
    response = permission_denied(request, PermissionDenied("You need the admin role in WEB."))

    assert response.status_code == 403
    assert "You need the admin role in WEB." in page_text(response)


def test_disallowed_host_gets_the_400_page(client, db):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example.com")

    assert response.status_code == 400
