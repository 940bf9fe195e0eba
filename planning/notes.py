"""Release notes: Markdown generated from a release's done issues.

New: stories, tasks, epics and improvements; Fixed: bugs and anything labelled "Bug fix";
internal work (labelled "Tech debt" or "Refactoring") is left out unless asked for. Subtasks are
part of their parent and canceled issues did not ship, so neither is listed.
"""

from __future__ import annotations

from issues.models import Kind, StatusCategory

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
        labels = {label.name.lower() for label in issue.labels.all()}
        if labels & INTERNAL_LABELS:
            section = "Internal"
        elif issue.kind == Kind.BUG or labels & FIXED_LABELS:
            section = "Fixed"
        else:
            section = "New"
        sections[section].append(issue)
    if not include_internal:
        del sections["Internal"]
    return sections


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
