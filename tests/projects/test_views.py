import pytest
from django.urls import reverse

from issues import operations as issue_ops
from issues.models import Issue, Role, Transition
from projects import operations
from projects.models import Invitation
from tests.factories import IssueFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"projects:{name}", args=["WEB", *args])


@pytest.mark.parametrize("section", ["general", "workflow", "transitions", "labels", "members"])
def test_every_section_renders_for_an_admin(admin_client, issue, section):
    response = admin_client.get(url(section))
    assert response.status_code == 200
    assert b"Settings" in response.content


@pytest.mark.parametrize("section", ["general", "workflow", "transitions", "labels", "members"])
def test_sections_load_in_a_fixed_number_of_queries(
    admin_client, project, member, section, django_assert_max_num_queries
):
    for _ in range(5):
        IssueFactory(project=project, actor=member)
    with django_assert_max_num_queries(12):
        admin_client.get(url(section))


def test_settings_link_shows_for_admins_only(client, admin_user, member, project):
    client.force_login(member)
    assert url("general").encode() not in client.get(reverse("boards:board", args=["WEB"])).content
    client.force_login(admin_user)
    assert url("general").encode() in client.get(reverse("boards:board", args=["WEB"])).content


def test_adding_a_status_with_a_wip_limit(admin_client, project):
    response = admin_client.post(
        url("status_add"),
        {"name": "QA", "category": "in_progress", "color": "#aa00ff", "wip_limit": "2"},
    )
    assert response.status_code == 302
    assert project.statuses.get(name="QA").wip_limit == 2


@pytest.mark.parametrize("wip", ["0", "-1", "two", "1.5"])
def test_a_bad_wip_limit_is_a_sentence_and_changes_nothing(admin_client, project, wip, db_snapshot):
    before = db_snapshot()
    response = admin_client.post(
        url("status_add"), {"name": "QA", "category": "todo", "color": "#aa00ff", "wip_limit": wip}
    )
    assert response.status_code == 400
    assert "WIP limit: use a whole number from 1 up" in response.content.decode()
    assert db_snapshot() == before


def test_a_duplicate_status_name_is_a_sentence(admin_client, project, status):
    done = status("Done")
    response = admin_client.post(
        url("status_edit", done.pk),
        {"name": "in PROGRESS", "category": "done", "color": "#1a7f37", "wip_limit": ""},
    )
    assert response.status_code == 400
    assert "already has a status called “In progress”" in response.content.decode()
    done.refresh_from_db()
    assert done.name == "Done"


def test_removing_the_default_status_is_a_sentence(admin_client, project, status):
    response = admin_client.post(url("status_delete", status("To do").pk))
    assert response.status_code == 400
    assert "make another status the default first" in response.content.decode()


def test_deleting_a_status_moves_its_issues_in_the_same_step(admin_client, project, member, status):
    issue = IssueFactory(project=project, actor=member, status=status("Backlog"))
    response = admin_client.post(
        url("status_delete", status("Backlog").pk), {"move_to": status("Triage").pk}
    )
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status.name == "Triage"


def test_a_foreign_status_in_the_url_is_404(admin_client, project):
    foreign = ProjectFactory().statuses.first()
    assert admin_client.post(url("status_default", foreign.pk)).status_code == 404


def test_a_foreign_move_to_target_is_refused(admin_client, project, member, status, db_snapshot):
    IssueFactory(project=project, actor=member, status=status("Backlog"))
    foreign = ProjectFactory().statuses.first()
    before = db_snapshot()
    response = admin_client.post(
        url("status_delete", status("Backlog").pk), {"move_to": foreign.pk}
    )
    assert response.status_code == 400
    assert db_snapshot() == before


def test_keyboard_reorder_moves_a_status_up(admin_client, project, status):
    response = admin_client.post(
        url("status_order"), {"status": status("Backlog").pk, "offset": "-1"}
    )
    assert response.status_code == 302
    assert project.statuses.first().name == "Backlog"


@pytest.mark.parametrize(
    "data",
    [
        {"status": "99999999999999999999", "offset": "1"},
        {"status": "٣", "offset": "1"},
        {"order": "1,²,3"},
        {"order": "99999999999999999999"},
    ],
)
def test_reorder_with_ids_that_are_not_plain_numbers_is_refused(
    admin_client, project, db_snapshot, data
):
    before = db_snapshot()
    response = admin_client.post(url("status_order"), data)
    assert response.status_code == 400
    assert db_snapshot() == before


def test_drag_reorder_sends_the_whole_order(admin_client, project):
    ids = list(project.statuses.values_list("pk", flat=True))[::-1]
    response = admin_client.post(url("status_order"), {"order": ",".join(map(str, ids))})
    assert response.status_code == 302
    assert list(project.statuses.values_list("pk", flat=True)) == ids


def test_saving_transitions_says_what_they_forbid(admin_client, project, status):
    todo, doing = status("To do"), status("In progress")
    response = admin_client.post(
        url("transitions"), {"allow": [f"{todo.pk}-{doing.pk}"]}, follow=True
    )
    text = response.content.decode()
    assert "moves are now forbidden" in text
    assert "To do → Done" in text
    assert Transition.objects.filter(from_status=todo, to_status=doing).exists()


@pytest.mark.parametrize("value", ["x", "1-2-3", "", "99999999-1"])
def test_a_malformed_transition_is_a_sentence(admin_client, project, value, db_snapshot):
    before = db_snapshot()
    response = admin_client.post(url("transitions"), {"allow": [value]})
    assert response.status_code == 400
    assert db_snapshot() == before


def test_a_duplicate_label_name_is_a_sentence(admin_client, project):
    response = admin_client.post(url("label_add"), {"name": "tech DEBT", "color": "#000000"})
    assert response.status_code == 400
    assert "already has a label called “Tech debt”" in response.content.decode()


def test_merging_labels_from_the_page(admin_client, project, member):
    bug = project.labels.get(name="Bug fix")
    improvement = project.labels.get(name="Improvement")
    issue = IssueFactory(project=project, actor=member, labels=[bug])
    response = admin_client.post(url("label_merge", bug.pk), {"into": improvement.pk})
    assert response.status_code == 302
    assert list(issue.labels.values_list("name", flat=True)) == ["Improvement"]


def test_adding_a_member_by_email(admin_client, project):
    carol = UserFactory(username="carol", email="carol@example.com")
    response = admin_client.post(url("member_add"), {"who": "carol@example.com", "role": "viewer"})
    assert response.status_code == 302
    assert project.role_of(carol) == Role.VIEWER


def test_an_unknown_person_is_a_sentence(admin_client, project):
    response = admin_client.post(url("member_add"), {"who": "nobody", "role": "member"})
    assert response.status_code == 400
    assert "invite them by e-mail instead" in response.content.decode()


def test_demoting_the_last_admin_is_a_sentence(admin_client, project, admin_user):
    response = admin_client.post(url("member_role", admin_user.pk), {"role": "member"})
    assert response.status_code == 400
    assert "last admin" in response.content.decode()
    assert project.role_of(admin_user) == Role.ADMIN


def test_inviting_an_existing_member_is_a_sentence(admin_client, project, member):
    response = admin_client.post(url("invite"), {"email": member.email, "role": "member"})
    assert response.status_code == 400
    assert "already belongs to a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_pending_invitations_are_listed(admin_client, project):
    admin_client.post(url("invite"), {"email": "dana@example.com", "role": "member"})
    assert "dana@example.com" in admin_client.get(url("members")).content.decode()


def test_archiving_hides_the_project_from_the_switcher(admin_client, project, admin_user):
    other = ProjectFactory(key="OPS", name="Operations")
    issue_ops.add_member(project=other, user=admin_user, role=Role.MEMBER)
    admin_client.post(url("archive"), {"archived": "1"})
    project.refresh_from_db()
    assert project.archived_at is not None
    page = admin_client.get(reverse("boards:board", args=["OPS"])).content.decode()
    assert 'href="/projects/WEB/board/"' not in page


def test_an_archived_project_refuses_writes(client, project, member, issue):
    project.archived_at = issue.created_at
    project.save()
    client.force_login(member)
    response = client.post(reverse("boards:add", args=["WEB"]), {"title": "More"})
    assert response.status_code == 403
    assert Issue.objects.count() == 1


def test_new_project_button_follows_the_setting(client, outsider, settings):
    client.force_login(outsider)
    settings.PROJECT_CREATION = "everyone"
    assert reverse("project_new").encode() in client.get(reverse("home")).content
    settings.PROJECT_CREATION = "staff"
    assert reverse("project_new").encode() not in client.get(reverse("home")).content
    assert client.get(reverse("project_new")).status_code == 403


def test_creating_a_project_from_the_page(client, outsider):
    client.force_login(outsider)
    response = client.post(reverse("project_new"), {"name": "Mobile app", "key": "app"})
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:workflow", args=["APP"])


@pytest.mark.parametrize("key", ["", "1AB", "A", "WEB", "TOOLONGKEY11", "A-B"])
def test_a_bad_project_key_is_a_sentence(client, outsider, project, key):
    client.force_login(outsider)
    response = client.post(reverse("project_new"), {"name": "X", "key": key})
    assert response.status_code == 400
    assert b'class="form-error"' in response.content


def test_accepting_an_invitation_creates_the_account(client, project, admin_user):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="erin@example.com", role=Role.MEMBER
    )
    link = operations.invitation_url(invitation)
    response = client.post(
        link,
        {"username": "erin", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302
    erin = project.memberships.get(user__username="erin").user
    assert erin.email == "erin@example.com"
    assert client.get(reverse("boards:board", args=["WEB"])).status_code == 200


def test_a_used_invitation_link_is_a_sentence(client, project, admin_user, outsider):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="olga@example.com", role=Role.MEMBER
    )
    operations.accept_invitation(invitation=invitation, user=outsider)
    response = client.get(operations.invitation_url(invitation))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_a_signed_in_user_joins_with_their_account(client, project, admin_user, outsider):
    invitation = operations.invite(
        project=project, actor=admin_user, email_address="olga@example.com", role=Role.VIEWER
    )
    client.force_login(outsider)
    response = client.post(operations.invitation_url(invitation))
    assert response.status_code == 302
    assert project.role_of(outsider) == Role.VIEWER


def test_a_cached_board_follows_archiving(client, project, admin_user, member):
    other = ProjectFactory(key="OPS", name="Operations")
    issue_ops.add_member(project=other, user=member, role=Role.MEMBER)
    client.force_login(member)
    board, ops_board = reverse("boards:board", args=["WEB"]), reverse("boards:board", args=["OPS"])
    for _ in range(2):  # rendered, then served from the cache
        assert 'class="quick-add' in client.get(board).content.decode()
        assert 'href="/projects/WEB/board/"' in client.get(ops_board).content.decode()
    operations.archive_project(project=project, actor=admin_user)
    for _ in range(2):
        assert 'class="quick-add' not in client.get(board).content.decode()
        assert 'href="/projects/WEB/board/"' not in client.get(ops_board).content.decode()
