"""axe-core in the browser tests: 0 serious or critical violations, in light and dark.

Use the `axe` fixture (tests/e2e/conftest.py) on any page a test has open:

    def test_my_page_is_accessible(page, login, member, axe):
        login(member)
        page.goto("/my/page/")
        axe(page)  # light and dark; fails with each violation's rule, nodes and fix

axe-core is vendored in tests/e2e/vendor/axe-core/ (npm, MPL-2.0) and injected only here.
"""

import functools
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@functools.cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page, *, context: str | None = None) -> list[dict]:
    """axe's serious and critical violations on the page as it is now (or within `context`,
    a CSS selector)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol, which the page's CSP (script-src 'self') allows.
        page.evaluate(_source() + "\n;undefined")
    result = page.evaluate(
        """async (context) => {
            const results = await axe.run(context || document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }""",
        context,
    )
    return [violation for violation in result if violation["impact"] in BLOCKING]


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:8]:
            summary = (node["summary"] or "").replace("\n", " ")
            lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page, *, schemes=("light", "dark"), context: str | None = None) -> None:
    """No serious or critical axe violation in each colour scheme (prefers-color-scheme)."""
    report = []
    try:
        for scheme in schemes:
            page.emulate_media(color_scheme=scheme)
            found = violations(page, context=context)
            if found:
                report.append(f"[{scheme}] {page.url}\n{describe(found)}")
    finally:
        page.emulate_media(color_scheme="light")
    assert not report, "axe found serious or critical violations:\n" + "\n".join(report)
