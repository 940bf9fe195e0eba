"""Release notes: Markdown generated from a release's done issues.

New: stories, tasks, epics and improvements; Fixed: bugs and anything labelled "Bug fix";
internal work (labelled "Tech debt" or "Refactoring") is left out unless asked for. Subtasks are
part of their parent and canceled issues did not ship, so neither is listed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch

from issues.models import Issue, Kind, Label, StatusCategory

from .models import Release

FIXED_LABELS = {"bug fix"}
INTERNAL_LABELS = {"tech debt", "refactoring"}
MARKDOWN_SPECIALS = str.maketrans({char: f"\\{char}" for char in "\\`*_[]<>#|"})


def group(release: Release, *, include_internal: bool = False) -> dict[str, list]:
    """The release's shipped issues by section: {"New": [...], "Fixed": [...], "Internal": [...]}."""
    issues = (
        release.issues.filter(status__category=StatusCategory.DONE)
        .exclude(kind=Kind.SUBTASK)
        .select_related("project")
        .prefetch_related("labels")
        .order_by("rank")
    )
    sections: dict[str, list] = {"New": [], "Fixed": [], "Internal": []}
    for issue in issues:
        sections[section_of(issue)].append(issue)
    if not include_internal:
        del sections["Internal"]
    return sections


def section_of(issue: Issue) -> str:
    """ "New", "Fixed" or "Internal", from the kind and the (prefetched) labels."""
    labels = {label.name.lower() for label in issue.labels.all()}
    if labels & INTERNAL_LABELS:
        return "Internal"
    if issue.kind == Kind.BUG or labels & FIXED_LABELS:
        return "Fixed"
    return "New"


def public_notes(releases: Iterable[Release]) -> dict[int, dict[str, list[dict]]]:
    """The notes the ideas portal may show, for many releases in two queries: per release id,
    {"New": [...], "Fixed": [...]} of published, shipped issues as {number, title} dicts.

    Internal work, subtasks, canceled and unpublished issues are left out; the stored
    (editable) notes are not used, since a team's edit may name any issue.
    """
    ids = [release.pk for release in releases]
    notes: dict[int, dict[str, list[dict]]] = {pk: {"New": [], "Fixed": []} for pk in ids}
    issues = (
        Issue.objects.filter(release__in=ids, public=True, status__category=StatusCategory.DONE)
        .exclude(kind=Kind.SUBTASK)
        .only("id", "number", "title", "kind", "release_id")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.only("id", "name")))
        .order_by("rank")
    )
    for issue in issues:
        section = section_of(issue)
        if section != "Internal":
            notes[issue.release_id][section].append({"number": issue.number, "title": issue.title})
    return notes


def generate(release: Release, *, include_internal: bool = False) -> str:
    """The Markdown notes: a heading, the description, then one list per non-empty section."""
    date = release.release_date.isoformat() if release.release_date else "unreleased"
    lines = [f"## {release.name.translate(MARKDOWN_SPECIALS)} ({date})", ""]
    if release.description.strip():
        lines += [release.description.strip(), ""]
    sections = group(release, include_internal=include_internal)
    if not any(sections.values()):
        lines += ["No user-facing changes.", ""]
    for title, issues in sections.items():
        if not issues:
            continue
        lines += [f"### {title}", ""]
        lines += [f"- {issue.title.translate(MARKDOWN_SPECIALS)} ({issue.key})" for issue in issues]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
