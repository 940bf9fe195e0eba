"""Markdown for descriptions and comments: CommonMark with raw HTML off, then sanitised.

markdown-it-py never passes raw HTML through (html=False); nh3 then keeps only an allow-list of
tags, attributes and URL schemes, so a payload that slips past one layer is stopped by the
other. Keys of the project's existing issues (WEB-42) become links, and so do @mentions of the
project's members (to the issues assigned to them), except inside code and inside links the
author wrote; `mentions()` finds the same @mentions for notifications.

Rendering a page's texts goes through one `IssueLinker`, which looks up every key mentioned on
the page in one query: a page with fifty comments costs the same queries as one with none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlencode

import nh3
from django.contrib.auth import get_user_model
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
ALLOWED_CLASSES = {"a": {"mention"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"
# Cut what no comment needs, before it reaches the parser.
MAX_LENGTH = 100_000
# @username, not inside an e-mail address (ann@example.com) or a word; Django's username
# characters except "@". A trailing dot ends the sentence, not the name.
MENTION_PATTERN = re.compile(r"(?<![\w@.+-])@([\w][\w.+-]{0,149})")
# Distinct names per text that are looked up, linked and notified; the rest stay plain text.
MAX_MENTIONS = 100


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": HAS_LINKIFY, "typographer": False})
    md.enable(["table", "strikethrough"])
    if HAS_LINKIFY:
        md.enable("linkify")
    # Images would load from anywhere (and CSP refuses them): `![alt](url)` stays a plain link.
    md.disable("image")
    md.core.ruler.push("issue_keys", _link_issue_keys)
    md.core.ruler.push("mentions", _link_mentions)
    return md


def _plain_texts(tokens: list[Token]):
    """The text tokens of inline blocks that are not inside a link (code is never a text token)."""
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        link_depth = 0
        for token in block.children:
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            elif token.type == "text" and link_depth == 0:
                yield token


def _mention_names(text: str):
    for match in MENTION_PATTERN.finditer(text):
        name = match.group(1).rstrip(".")
        yield match, name


def mentions(text: str) -> list[str]:
    """The usernames @mentioned in a Markdown text, in order, once each, at most MAX_MENTIONS;
    not in code, nor in links."""
    if not text or "@" not in text:
        return []
    names: dict[str, None] = {}
    for token in _plain_texts(MARKDOWN.parse(text[:MAX_LENGTH])):
        for _, name in _mention_names(token.content):
            names.setdefault(name)
            if len(names) >= MAX_MENTIONS:
                return list(names)
    return list(names)


def _link_mentions(state: StateCore) -> None:
    """Turn @name into a link to the issues assigned to them, when they are a member
    (`env["mention_links"]`: name → (url, title))."""
    links: dict[str, tuple[str, str]] = state.env.get("mention_links") or {}
    if not links:
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
            if token.type != "text" or link_depth > 0 or "@" not in token.content:
                children.append(token)
                continue
            children.extend(_split_mentions(token, links))
        block.children = children


def _split_mentions(token: Token, links: dict[str, tuple[str, str]]):
    text, position = token.content, 0
    for match, name in _mention_names(text):
        if name not in links:
            continue
        if match.start() > position:
            yield _text(token, text[position : match.start()])
        url, title = links[name]
        opening = Token("link_open", "a", 1)
        opening.attrs = {"href": url, "title": title, "class": "mention"}
        opening.level = token.level
        yield opening
        yield _text(token, f"@{name}")
        yield Token("link_close", "a", -1, level=token.level)
        position = match.start() + 1 + len(name)
    if position < len(text):
        yield _text(token, text[position:])


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
    # nh3 empties a class it does not allow (only our own "mention" is): drop what is left.
    return _clean(html).replace(' class=""', "")


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


class IssueLinker:
    """Renders the Markdown texts of one page, linking the keys they mention in one query, and
    the members they @mention in one more (only when a text has an @)."""

    def __init__(self, project: Project | None, texts: Iterable[str] = ()):
        texts = list(texts)
        self.project = project
        self.links: dict[int, tuple[str, str]] = {}
        self.mention_links: dict[str, tuple[str, str]] = {}
        self.pattern = key_pattern(project.key) if project is not None else None
        if project is not None:
            self.mention_links = _member_links(project, texts)
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
        env = {
            "issue_links": self.links,
            "issue_key_pattern": self.pattern,
            "mention_links": self.mention_links,
        }
        html = MARKDOWN.render(text[:MAX_LENGTH], env)
        return mark_safe(sanitize(html))  # noqa: S308 - sanitised by nh3 just above


def _member_links(project: Project, texts: list[str]) -> dict[str, tuple[str, str]]:
    """username → (the project's issues assigned to them, their name), for the members that
    the texts @mention."""
    names = {name for text in texts for name in mentions(text)}
    if not names:
        return {}
    members = (
        get_user_model()
        .objects.filter(username__in=names, memberships__project=project)
        .only("username", "first_name", "last_name")
    )
    issues = reverse("issues:list", args=[project.key])
    return {
        user.username: (
            f"{issues}?{urlencode({'assignee': user.username})}",
            f"{user.get_full_name() or user.username}: issues assigned to them",
        )
        for user in members
    }


def render_markdown(text: str, project: Project | None = None) -> SafeString:
    """One text on its own (one query when it mentions keys); pages use IssueLinker."""
    return IssueLinker(project, [text]).render(text)
