"""Markdown for descriptions and comments: CommonMark with raw HTML off, then sanitised.

markdown-it-py never passes raw HTML through (html=False); nh3 then keeps only an allow-list of
tags, attributes and URL schemes, so a payload that slips past one layer is stopped by the
other. Keys of the project's existing issues (WEB-42) become links, except inside code and
inside links the author wrote.

Rendering a page's texts goes through one `IssueLinker`, which looks up every key mentioned on
the page in one query: a page with fifty comments costs the same queries as one with none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import nh3
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .models import Issue, Project

try:  # linkify-it-py is optional: bare URLs stay text without it.
    import linkify_it  # noqa: F401

    HAS_LINKIFY = True
except ImportError:  # pragma: no cover - depends on the environment
    HAS_LINKIFY = False

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "s", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"
# Cut what no comment needs, before it reaches the parser.
MAX_LENGTH = 100_000


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": HAS_LINKIFY, "typographer": False})
    md.enable(["table", "strikethrough"])
    if HAS_LINKIFY:
        md.enable("linkify")
    # Images would load from anywhere (and CSP refuses them): `![alt](url)` stays a plain link.
    md.disable("image")
    md.core.ruler.push("issue_keys", _link_issue_keys)
    return md


def _link_issue_keys(state: StateCore) -> None:
    """Turn KEY-123 in plain text into a link, when the issue exists (`env["issue_links"]`)."""
    links: dict[int, tuple[str, str]] = state.env.get("issue_links") or {}
    pattern: re.Pattern | None = state.env.get("issue_key_pattern")
    if not links or pattern is None:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        link_depth = 0
        for token in block.children:
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            if token.type != "text" or link_depth > 0 or not pattern.search(token.content):
                children.append(token)
                continue
            children.extend(_split_keys(token, pattern, links))
        block.children = children


def _split_keys(token: Token, pattern: re.Pattern, links: dict[int, tuple[str, str]]):
    text, position = token.content, 0
    for match in pattern.finditer(text):
        number = int(match.group(1))
        if number not in links:
            continue
        if match.start() > position:
            yield _text(token, text[position : match.start()])
        url, title = links[number]
        opening = Token("link_open", "a", 1)
        opening.attrs = {"href": url, "title": title}
        opening.level = token.level
        yield opening
        yield _text(token, match.group(0))
        yield Token("link_close", "a", -1, level=token.level)
        position = match.end()
    if position < len(text):
        yield _text(token, text[position:])


def _text(like: Token, content: str) -> Token:
    return Token("text", "", 0, content=content, level=like.level)


MARKDOWN = _parser()


def key_pattern(project_key: str) -> re.Pattern:
    """WEB-42 as a whole word (not inside XWEB-42 or WEB-42a)."""
    return re.compile(rf"(?<![\w-]){re.escape(project_key)}-(\d{{1,9}})(?![\w-])")


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


class IssueLinker:
    """Renders the Markdown texts of one page, linking the keys they mention in one query."""

    def __init__(self, project: Project | None, texts: Iterable[str] = ()):
        self.project = project
        self.links: dict[int, tuple[str, str]] = {}
        self.pattern = key_pattern(project.key) if project is not None else None
        if self.pattern is not None:
            numbers = {
                int(number)
                for text in texts
                if text
                for number in self.pattern.findall(text[:MAX_LENGTH])
            }
            if numbers:
                found = Issue.objects.filter(project=project, number__in=numbers).values_list(
                    "number", "title"
                )
                self.links = {
                    number: (
                        reverse("issues:detail", args=[project.key, number]),
                        f"{project.key}-{number} {title}",
                    )
                    for number, title in found
                }

    def render(self, text: str) -> SafeString:
        """Sanitised HTML for one Markdown text."""
        if not text:
            return mark_safe("")
        env = {"issue_links": self.links, "issue_key_pattern": self.pattern}
        html = MARKDOWN.render(text[:MAX_LENGTH], env)
        return mark_safe(sanitize(html))  # noqa: S308 - sanitised by nh3 just above


def render_markdown(text: str, project: Project | None = None) -> SafeString:
    """One text on its own (one query when it mentions keys); pages use IssueLinker."""
    return IssueLinker(project, [text]).render(text)
