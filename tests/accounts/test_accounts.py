import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.backends import ProfileBackend
from accounts.models import AVATAR_COLORS, Profile
from accounts.templatetags.accounts import avatar_color
from issues.templatetags.tracker import text_color
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def contrast(foreground: str, background: str) -> float:
    def luminance(color: str) -> float:
        channels = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("color", [value for value, _ in AVATAR_COLORS])
def test_every_avatar_colour_keeps_white_initials_readable(color):
    assert contrast("#ffffff", color) >= 4.5
    assert text_color(color) == "#ffffff"


def test_avatar_colour_without_a_choice_is_picked_by_id():
    user = UserFactory()
    assert avatar_color(user) == AVATAR_COLORS[user.pk % len(AVATAR_COLORS)][0]


def test_the_signed_in_user_comes_with_their_profile(django_assert_num_queries):
    user = UserFactory()
    Profile.objects.create(user=user, avatar_color="#b91c1c")
    with django_assert_num_queries(1):
        loaded = ProfileBackend().get_user(user.pk)
        assert avatar_color(loaded) == "#b91c1c"


def test_profile_saves_name_email_and_colour(client):
    user = UserFactory(username="carol")
    client.force_login(user)
    response = client.post(
        reverse("account_profile"),
        {
            "first_name": "Carol",
            "last_name": "Díaz",
            "email": "carol@example.org",
            "avatar_color": "#0e7490",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.get_full_name(), user.email) == ("Carol Díaz", "carol@example.org")
    assert user.profile.avatar_color == "#0e7490"
    page = client.get(reverse("home")).content.decode()
    assert "--avatar: #0e7490" in page


def test_profile_refuses_an_address_of_another_account(client):
    UserFactory(email="taken@example.com")
    user = UserFactory(email="mine@example.com")
    client.force_login(user)
    response = client.post(reverse("account_profile"), {"email": "TAKEN@example.com"})
    assert response.status_code == 400
    assert "Another account uses this e-mail address." in response.content.decode()
    user.refresh_from_db()
    assert user.email == "mine@example.com"


def test_profile_refuses_a_colour_outside_the_palette(client):
    client.force_login(UserFactory())
    response = client.post(reverse("account_profile"), {"avatar_color": "#ffff00"})
    assert response.status_code == 400
    assert not Profile.objects.exists()


def test_signing_out_elsewhere_ends_other_sessions_only(client):
    user = UserFactory(username="carol")
    other = Client()
    other.force_login(user)
    client.force_login(user)
    response = client.post(reverse("account_sessions"), {"password": "password"})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert other.get(reverse("home")).status_code == 302
    assert get_user_model().objects.get(pk=user.pk).check_password("password")


def test_signing_out_elsewhere_needs_the_password(client):
    user = UserFactory(username="carol")
    other = Client()
    other.force_login(user)
    client.force_login(user)
    response = client.post(reverse("account_sessions"), {"password": "wrong"}, follow=True)
    assert "That is not your current password." in response.content.decode()
    assert other.get(reverse("home")).status_code == 200


def test_password_change(client):
    user = UserFactory(username="carol")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "password",
            "new_password1": "a-long-pass-phrase",
            "new_password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase")


def test_password_reset_email_is_queued_not_sent_in_the_request(client, mailoutbox, run_worker):
    UserFactory(username="carol", email="carol@example.com")
    response = client.post(reverse("password_reset"), {"email": "carol@example.com"})
    assert response.status_code == 302
    assert mailoutbox == []
    run_worker()
    assert [message.to for message in mailoutbox] == [["carol@example.com"]]


def test_password_reset_does_not_reveal_whether_an_account_exists(client, mailoutbox, run_worker):
    UserFactory(username="carol", email="carol@example.com")
    known = client.post(reverse("password_reset"), {"email": "carol@example.com"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    run_worker()
    assert len(mailoutbox) == 1


def test_password_reset_is_rate_limited_per_address(client, settings):
    settings.PASSWORD_RESET_PER_EMAIL = 3
    for _ in range(3):
        assert client.post(reverse("password_reset"), {"email": "x@example.com"}).status_code == 302
    response = client.post(reverse("password_reset"), {"email": "X@example.com"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert client.post(reverse("password_reset"), {"email": "y@example.com"}).status_code == 302


def test_password_reset_is_rate_limited_per_client(client, settings):
    settings.PASSWORD_RESET_PER_IP = 2
    for n in range(2):
        client.post(reverse("password_reset"), {"email": f"{n}@example.com"})
    assert client.post(reverse("password_reset"), {"email": "z@example.com"}).status_code == 429


def test_the_reset_link_sets_a_new_password(client, mailoutbox, run_worker):
    user = UserFactory(username="carol", email="carol@example.com")
    client.post(reverse("password_reset"), {"email": "carol@example.com"})
    run_worker()
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-pass-phrase", "new_password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase")


def test_a_used_reset_link_says_so(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]))
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()


def test_a_chosen_colour_is_the_persons_avatar_on_every_page_that_shows_them(client):
    """Cards, swimlanes, the list, the issue page (children, comments, timeline, watchers), the
    mention suggestions and the backlog all show a person in the colour they chose."""
    from issues import operations
    from issues.models import Kind, Role
    from notifications.models import Watch
    from tests.factories import CommentFactory, IssueFactory, ProjectFactory

    project = ProjectFactory(key="COL")
    alice = UserFactory(username="alice")
    Profile.objects.create(user=alice, avatar_color="#be185d")
    operations.add_member(project=project, user=alice, role=Role.MEMBER)
    story = IssueFactory(project=project, actor=alice, assignee=alice, title="Story")
    IssueFactory(project=project, actor=alice, assignee=alice, kind=Kind.SUBTASK, parent=story)
    CommentFactory(issue=story, author=alice)
    Watch.objects.get_or_create(issue=story, user=alice)
    bob = UserFactory(username="bob")  # another member looks, so the top bar is his, not hers
    operations.add_member(project=project, user=bob, role=Role.MEMBER)
    client.force_login(bob)
    mark = "--avatar: #be185d"
    pages = {
        "board": reverse("boards:board", args=["COL"]),
        "swimlanes": reverse("boards:board", args=["COL"]) + "?group=assignee",
        "list": reverse("issues:list", args=["COL"]),
        "backlog": reverse("planning:backlog", args=["COL"]),
        "mentions": reverse("watching:mentions", args=["COL"]) + "?q=ali",
    }
    for name, url in pages.items():
        page = client.get(url).content.decode()
        assert mark in page, name
    detail = client.get(story.get_absolute_url()).content.decode()
    # The child row, the comment, the timeline and the watchers list.
    assert detail.count(mark) >= 4
