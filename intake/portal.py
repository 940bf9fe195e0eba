"""What the portal shows: published ideas, their portal state, similar titles.

The portal reads issues through these functions only, and each one selects what a visitor may
see (number, title, description, state, votes, dates) and nothing else: assignees, labels,
internal comments, estimates and unpublished issues never reach a portal template.
"""

from __future__ import annotations

import datetime
import re

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from issues.models import Issue, Project, StatusCategory

from .models import Request, Requester

PER_PAGE = 20
TRENDING_DAYS = 14
SIMILAR_LIMIT = 5
# The trigram similarity a look-alike needs (PostgreSQL: `%` matches above
# pg_trgm.similarity_threshold, which intake.apps sets to this on every new connection). At
# pg_trgm's default of 0.3 a title of common words matches thousands of issues, each read and
# ranked (100 ms against 100,000 issues); at 0.5 a few hundred, and what is left is what a
# person would call the same request.
TRIGRAM_THRESHOLD = 0.5
# Words too common to say two titles are alike (the SQLite fallback matches words).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "i",
        "in",
        "into",
        "is",
        "it",
        "of",
        "on",
        "or",
        "our",
        "please",
        "the",
        "to",
        "we",
        "with",
        "would",
        "you",
        "your",
        "add",
        "allow",
        "support",
        "should",
        "could",
    ]
)
STATES = {
    StatusCategory.TRIAGE: "Under review",
    StatusCategory.BACKLOG: "Planned",
    StatusCategory.TODO: "Planned",
    StatusCategory.IN_PROGRESS: "In progress",
    StatusCategory.DONE: "Shipped",
    StatusCategory.CANCELED: "Won't do",
}
STATE_CLASSES = {
    "Under review": "review",
    "Planned": "planned",
    "In progress": "progress",
    "Shipped": "shipped",
    "Won't do": "declined",
    "Merged": "merged",
}
SORTS = {"trending": "Trending", "top": "Top", "newest": "Newest"}
PUBLIC_FIELDS = ("id", "project_id", "number", "title", "demand", "created_at", "duplicate_of_id",
                 "public", "status__category")  # fmt: skip


def state_of(category: str, merged: bool) -> str:
    return "Merged" if merged else STATES[category]


def published(project: Project) -> QuerySet[Issue]:
    """Ideas anyone may see on the portal: the published issues."""
    return Issue.objects.filter(project=project, public=True)


def visible_to(project: Project, requester: Requester | None) -> QuerySet[Issue]:
    """Published ideas, and (for a signed-in requester) the ones they asked for themselves."""
    if requester is None:
        return published(project)
    own = Request.objects.filter(issue=OuterRef("pk"), requester=requester)
    return Issue.objects.filter(project=project).filter(Q(public=True) | Exists(own))


def listing(
    project: Project, *, sort: str = "trending", query: str = "", requester: Requester | None
) -> QuerySet:
    """The portal's list: published ideas, searched and sorted, as plain dicts."""
    ideas = published(project).filter(duplicate_of__isnull=True)
    if query:
        ideas = ideas.filter(_words_match(query))
    if sort == "top":
        ideas = ideas.order_by("-demand", "-number")
    elif sort == "newest":
        ideas = ideas.order_by("-created_at", "-number")
    else:
        since = timezone.now() - datetime.timedelta(days=TRENDING_DAYS)
        ideas = ideas.annotate(
            recent=Count("requests", filter=Q(requests__created_at__gte=since))
        ).order_by("-recent", "-demand", "-number")
    return _rows(ideas, requester)


def _rows(ideas: QuerySet, requester: Requester | None) -> QuerySet:
    if requester is not None:
        voted = Request.objects.filter(issue=OuterRef("pk"), requester=requester)
        ideas = ideas.annotate(voted=Exists(voted))
    return ideas.values(
        "number", "title", "demand", "created_at", "duplicate_of_id",
        category=F("status__category"),
        **({"has_voted": F("voted")} if requester is not None else {}),
    )  # fmt: skip


def mine(project: Project, requester: Requester) -> QuerySet:
    """A requester's own ideas and votes, with their state, newest first."""
    ideas = Issue.objects.filter(project=project, requests__requester=requester)
    return _rows(ideas.order_by("-requests__created_at"), requester).annotate(
        merged_into=F("duplicate_of__number"),
        merged_into_public=F("duplicate_of__public"),
    )


def decorate(row: dict) -> dict:
    row["state"] = state_of(row["category"], row["duplicate_of_id"] is not None)
    row["state_class"] = STATE_CLASSES[row["state"]]
    return row


def _words_match(query: str) -> Q:
    condition = Q()
    for word in query.split()[:8]:
        condition &= Q(title__icontains=word[:50]) | Q(description__icontains=word[:50])
    return condition


def similar(
    project: Project, title: str, *, public_only: bool, exclude: int | None = None
) -> list[dict]:
    """Up to SIMILAR_LIMIT issues whose titles look like `title`, most alike first.

    PostgreSQL: trigram similarity (`%`, the GIN index issue_title_trgm_idx). SQLite: titles
    sharing the title's significant words, best overlap first (finds near-identical titles).
    """
    title = " ".join(str(title or "").split())[:200]
    if len(title) < 4:
        return []
    issues = Issue.objects.filter(project=project)
    if public_only:
        issues = issues.filter(public=True, duplicate_of__isnull=True)
    if exclude is not None:
        issues = issues.exclude(pk=exclude)
    if connection.vendor == "postgresql":
        return _similar_trigram(issues, title)
    return _similar_words(issues, title)


def _similar_trigram(issues: QuerySet, title: str) -> list[dict]:
    rows = (
        issues.filter(TrigramMatch(F("title"), Value(title)))
        .annotate(similarity=TrigramSimilarity("title", title))
        .order_by("-similarity", "-number")
        .values("pk", "number", "title", "demand", "public", category=F("status__category"))
    )
    return list(rows[:SIMILAR_LIMIT])


class TrigramMatch(Func):
    """`title % 'text'` (similarity above pg_trgm's threshold): what the GIN index answers."""

    template = "%(expressions)s"
    arg_joiner = " %% "
    output_field = BooleanField()


def _similar_words(issues: QuerySet, title: str) -> list[dict]:
    words = [w for w in re.findall(r"\w+", title.lower()) if w not in STOP_WORDS and len(w) > 2]
    if not words:
        return []
    condition = Q()
    for word in words[:8]:
        condition |= Q(title__icontains=word)
    candidates = list(
        issues.filter(condition)
        .order_by("-number")
        .values("pk", "number", "title", "demand", "public", category=F("status__category"))[:200]
    )
    wanted = set(words)
    for row in candidates:
        theirs = {w for w in re.findall(r"\w+", row["title"].lower()) if w not in STOP_WORDS}
        row["similarity"] = len(wanted & theirs) / max(len(wanted | theirs), 1)
    candidates = [row for row in candidates if row["similarity"] >= 0.3]
    candidates.sort(key=lambda row: (-row["similarity"], -row["number"]))
    return candidates[:SIMILAR_LIMIT]
