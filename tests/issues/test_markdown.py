"""Markdown for descriptions and comments: CommonMark, raw HTML off, sanitised, keys linked."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issues.markdown import IssueLinker, render_markdown, sanitize
from tests.factories import IssueFactory, ProjectFactory

# Payloads that have broken other sanitisers; none of them may come out as live markup.
XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "<iframe src=javascript:alert(1)></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '[x](https://example.com "title" onmouseover=alert(1))',
    '<https://example.com/" onmouseover="alert(1)>',
    "`<script>alert(1)</script>`",
]
SAFE_URL = re.compile(r"^(https?:|mailto:|/|#|\?)", re.IGNORECASE)


class _LiveMarkup(HTMLParser):
    """Collects what a browser would run: script-capable tags, event handlers, unsafe URLs.

    For rendered Markdown every risky tag counts; for a whole page (`page=True`) the page's own
    forms, icons (SVG), menus and static scripts are expected, and handlers and URLs still count.
    """

    RISKY_TAGS = {"script", "svg", "math", "iframe", "img", "style", "object", "embed", "form",
                  "input", "details", "base", "link", "meta", "video", "audio", "source"}  # fmt: skip
    RISKY_ON_PAGES = {"iframe", "img", "style", "object", "embed", "math", "base", "meta",
                      "video", "audio", "source"}  # fmt: skip

    def __init__(self, page: bool):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        risky = self.RISKY_ON_PAGES if self.page else self.RISKY_TAGS
        if tag in risky:
            self.problems.append(f"<{tag}>")
        if self.page and tag == "script" and not (dict(attrs).get("src") or "").startswith("/"):
            self.problems.append("<script> inline")
        for name, value in attrs:
            if name.startswith("on") or name in {"srcdoc", "formaction"}:
                self.problems.append(f"{tag}[{name}]")
            if name == "style" and not self.page:
                self.problems.append(f"{tag}[style]")
            if name in {"href", "src", "action", "xlink:href"} and value is not None:
                compact = re.sub(r"[\x00-\x20]", "", value)
                if not SAFE_URL.match(compact) and ":" in compact.split("/")[0]:
                    self.problems.append(f"{tag}[{name}={value}]")


def live_markup(html: str, *, page: bool = False) -> list[str]:
    """What in `html` would run or load in a browser (empty when the HTML is inert)."""
    parser = _LiveMarkup(page)
    if page and "<main" in html:
        html = html[html.index("<main") :]  # The page's own head (meta, stylesheets) is fine.
    parser.feed(html)
    parser.close()
    return parser.problems


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_renders_inert(payload):
    html = render_markdown(f"Before {payload} after")
    assert live_markup(html) == [], html


@given(
    st.text(
        alphabet=st.sampled_from(list("<>\"'=/:;&#[]()!` \nascriptjvonerrorimgsvgdat")), max_size=80
    )
)
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_never_becomes_live_markup(text):
    assert live_markup(render_markdown(text)) == []


def test_raw_html_is_shown_as_text():
    html = render_markdown("<b>bold?</b>")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html


def test_markdown_basics_render():
    html = render_markdown("**bold** _em_ `code`\n\n- one\n- two\n\n> quote\n\n~~gone~~")
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html
    assert "<s>gone</s>" in html


def test_tables_render_without_style_attributes():
    html = render_markdown("| a | b |\n|--:|---|\n| 1 | 2 |")
    assert "<table>" in html
    assert "style=" not in html


def test_links_get_nofollow_noopener():
    html = render_markdown("[docs](https://example.com/docs)")
    assert 'href="https://example.com/docs"' in html
    assert 'rel="nofollow noopener"' in html


def test_mailto_links_are_kept():
    assert 'href="mailto:a@example.com"' in render_markdown("[mail](mailto:a@example.com)")


def test_images_become_plain_links():
    html = render_markdown("![diagram](https://example.com/d.png)")
    assert "<img" not in html
    assert 'href="https://example.com/d.png"' in html


def test_sanitize_drops_unknown_attributes():
    assert sanitize('<a href="https://x.example" onclick="x()" class="y">x</a>') == (
        '<a href="https://x.example" rel="nofollow noopener">x</a>'
    )


def test_existing_issue_key_becomes_link(project, member):
    IssueFactory(project=project, actor=member, title="Login page")
    html = render_markdown("See WEB-1 please", project)
    assert '<a href="/projects/WEB/issues/1/"' in html
    assert 'title="WEB-1 Login page"' in html


def test_unknown_issue_key_stays_text(project):
    html = render_markdown("See WEB-99", project)
    assert "<a" not in html
    assert "WEB-99" in html


def test_issue_key_inside_code_is_not_linked(project, member):
    IssueFactory(project=project, actor=member)
    html = render_markdown("`WEB-1`\n\n```\nWEB-1\n```", project)
    assert "<a" not in html


def test_issue_key_inside_a_link_is_not_linked_twice(project, member):
    IssueFactory(project=project, actor=member)
    html = render_markdown("[about WEB-1](https://example.com)", project)
    assert html.count("<a ") == 1
    assert 'href="https://example.com"' in html


def test_issue_key_of_another_project_is_not_linked(project, member):
    IssueFactory(project=project, actor=member)
    other = ProjectFactory(key="API")
    IssueFactory(project=other)
    html = render_markdown("API-1 and XWEB-1 and WEB-1a", project)
    assert "<a" not in html


def test_issue_title_in_link_title_is_escaped(project, member):
    IssueFactory(project=project, actor=member, title='"><script>alert(1)</script>')
    html = render_markdown("WEB-1", project)
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_linker_looks_up_keys_of_all_texts_in_one_query(project, member, django_assert_num_queries):
    for _ in range(3):
        IssueFactory(project=project, actor=member)
    with django_assert_num_queries(1):
        linker = IssueLinker(project, ["WEB-1", "WEB-2", "WEB-3 and WEB-4"])
    with django_assert_num_queries(0):
        html = linker.render("WEB-1 WEB-2 WEB-3")
    assert html.count("<a ") == 3


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""


def test_the_xss_detector_itself_catches_live_markup():
    assert live_markup('<a href="javascript:alert(1)">x</a>')
    assert live_markup('<a href=" java\tscript:alert(1)">x</a>')
    assert live_markup("<img src=x onerror=alert(1)>")
    assert live_markup("<svg onload=alert(1)>")
    assert live_markup('<a href="data:text/html,x">x</a>')
    assert not live_markup('<a href="/projects/WEB/issues/1/">WEB-1</a> &lt;script&gt;')
    assert live_markup("<p><script>alert(1)</script></p>", page=True)
    assert not live_markup('<script src="/static/js/app.js"></script><svg></svg>', page=True)
