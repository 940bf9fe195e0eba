"""The issue page's parent picker: a search among the issues the hierarchy allows as parents
(epic › story/task/bug › subtask), open ones first; HTMX results, a page without JavaScript."""

import re

import pytest
from django.urls import reverse

from issues import operations
from issues.models import Issue, Kind
from tests.factories import IssueFactory, ProjectFactory


def url(issue, **query):
    path = reverse("issues:parents", args=[issue.project.key, issue.number])
    return path, query


def numbers(response) -> list[int]:
    return [int(n) for n in re.findall(r'name="parent" value="(\d+)"', response.content.decode())]


@pytest.fixture
def tree(project, member, status):
    epic = IssueFactory(project=project, actor=member, kind=Kind.EPIC, title="Checkout revamp")
    done_epic = IssueFactory(
        project=project, actor=member, kind=Kind.EPIC, title="Checkout v1", status=status("Done")
    )
    story = IssueFactory(project=project, actor=member, kind=Kind.STORY, parent=epic, title="Pay")
    task = IssueFactory(project=project, actor=member, kind=Kind.TASK, title="Set up checkout")
    bug = IssueFactory(project=project, actor=member, kind=Kind.BUG, title="Cart is empty")
    subtask = IssueFactory(project=project, actor=member, kind=Kind.SUBTASK, parent=story)
    return {"epic": epic, "done_epic": done_epic, "story": story, "task": task, "bug": bug,
            "subtask": subtask}  # fmt: skip


@pytest.fixture
def as_member(client, member):
    client.force_login(member)
    return client


def test_a_story_is_offered_the_epics_open_ones_first(as_member, tree):
    path, query = url(tree["story"])
    response = as_member.get(path, query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert numbers(response) == [tree["epic"].number, tree["done_epic"].number]
    assert "(Done)" in response.content.decode()  # a closed candidate says so
    assert "<html" not in response.content.decode()  # HTMX: the results only


def test_a_subtask_is_offered_stories_tasks_and_bugs_never_itself_or_epics(as_member, tree):
    path, query = url(tree["subtask"])
    found = numbers(as_member.get(path, query, headers={"HX-Request": "true"}))
    assert sorted(found) == sorted([tree["story"].number, tree["task"].number, tree["bug"].number])
    # A story is never offered itself, nor a story or subtask.
    found = numbers(as_member.get(*url(tree["story"]), headers={"HX-Request": "true"}))
    assert tree["story"].number not in found and tree["subtask"].number not in found


def test_an_epic_is_offered_nothing(as_member, tree):
    response = as_member.get(*url(tree["epic"]), headers={"HX-Request": "true"})
    assert numbers(response) == []
    assert "has no parent" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("checkout", ["task"]), ("WEB-{bug}", ["bug"]), ("web-{bug}", ["bug"]), ("{task}", ["task"]),
     ("set checkout", ["task"]), ("checkout cart", []), ("nothing like it", [])],
)  # fmt: skip
def test_the_search_takes_a_key_a_number_or_words(as_member, tree, query, expected):
    query = query.format(bug=tree["bug"].number, task=tree["task"].number)
    path, _ = url(tree["subtask"])
    found = numbers(as_member.get(path, {"q": query}, headers={"HX-Request": "true"}))
    assert found == [tree[name].number for name in expected]


def test_without_javascript_the_search_is_a_page_whose_buttons_post_the_parent(
    as_member, tree, member
):
    path, _ = url(tree["subtask"])
    response = as_member.get(path, {"q": "cart"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'role="search"' in html
    assert f'action="/projects/WEB/issues/{tree["subtask"].number}/fields/parent/"' in html
    assert numbers(response) == [tree["bug"].number]
    # What its button sends: the parent field's own post, version-checked.
    saved = as_member.post(
        f"/projects/WEB/issues/{tree['subtask'].number}/fields/parent/",
        {"parent": tree["bug"].number, "version": tree["subtask"].version},
    )
    assert saved.status_code == 302
    assert Issue.objects.get(pk=tree["subtask"].pk).parent == tree["bug"]


def test_an_invalid_parent_posted_anyway_is_refused(as_member, tree):
    before = Issue.objects.get(pk=tree["story"].pk)
    response = as_member.post(
        f"/projects/WEB/issues/{tree['story'].number}/fields/parent/",
        {"parent": tree["task"].number},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert Issue.objects.get(pk=tree["story"].pk).parent_id == before.parent_id


def test_outsiders_get_404_and_viewers_403(client, tree, outsider, viewer):
    client.force_login(outsider)
    assert client.get(*url(tree["story"])).status_code == 404
    client.force_login(viewer)
    assert client.get(*url(tree["story"])).status_code == 403


def test_another_projects_issue_number_is_404(as_member, tree, member):
    other = ProjectFactory(key="OPS")
    operations.add_member(project=other, user=member, role="member")
    lone = IssueFactory(project=other, actor=member, kind=Kind.STORY)
    assert as_member.get(f"/projects/WEB/issues/{lone.number + 500}/parents/").status_code == 404
    # OPS's epics are never offered to a WEB story.
    IssueFactory(project=other, actor=member, kind=Kind.EPIC, title="Checkout elsewhere")
    found = numbers(as_member.get(*url(tree["story"]), headers={"HX-Request": "true"}))
    assert found == [tree["epic"].number, tree["done_epic"].number]


def test_queries_do_not_grow_with_the_candidates(
    as_member, project, member, tree, django_assert_max_num_queries
):
    path, _ = url(tree["subtask"])
    with django_assert_max_num_queries(12) as few:
        as_member.get(path, {"q": "issue"}, headers={"HX-Request": "true"})
    for n in range(30):
        IssueFactory(project=project, actor=member, kind=Kind.TASK, title=f"Issue {n}")
    with django_assert_max_num_queries(len(few)):
        response = as_member.get(path, {"q": "issue"}, headers={"HX-Request": "true"})
    assert len(numbers(response)) == 20
    assert "20+ " in response.content.decode()


def test_the_issue_page_shows_the_search_not_every_candidate(as_member, tree):
    html = as_member.get(f"/projects/WEB/issues/{tree['subtask'].number}/").content.decode()
    assert 'id="input-parent"' in html and 'type="search"' in html
    assert f"/issues/{tree['subtask'].number}/parents/" in html
    assert 'name="parent" value=' not in html
