"""The reports page in a real browser: the charts draw, and their numbers are their tables'."""

import pytest
from playwright.sync_api import expect

from tests.reports.history import build_history

PERIOD = "?from=2026-01-01&to=2026-01-10"


@pytest.fixture
def history(transactional_db, project, member):
    return build_history(project, member)


def test_the_reports_page_draws_every_chart(page, login, viewer, history):
    login(viewer)
    page.goto(f"/projects/WEB/reports/{PERIOD}")
    for slug in ("flow", "cycle-time", "throughput", "created-resolved", "aging", "sources"):
        expect(page.locator(f"#chart-{slug} svg")).to_be_visible()
    assert page.locator("#chart-flow polygon").count() == 5  # To do … Canceled
    assert page.js_errors == []


def test_the_bars_of_a_chart_are_the_numbers_of_its_table(page, login, viewer, history):
    login(viewer)
    page.goto(f"/projects/WEB/reports/{PERIOD}")
    chart = page.locator("#chart-created-resolved")
    chart.get_by_text("Show data").click()
    cells = chart.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].slice(1).map(cell => Number(cell.textContent)))"
    )
    drawn = chart.locator("rect.chart-bar").evaluate_all(
        "bars => bars.map(bar => Number(bar.dataset.value))"
    )
    assert cells == [[3, 3], [1, 2]]
    assert drawn == [value for row in cells for value in row if value]


def test_the_dots_of_the_cycle_time_chart_are_its_table_and_open_the_issue(
    page, login, viewer, history
):
    login(viewer)
    page.goto(f"/projects/WEB/reports/{PERIOD}")
    chart = page.locator("#chart-cycle-time")
    chart.get_by_text("Show data").click()
    days = chart.locator("tbody tr td:last-child").all_text_contents()
    drawn = chart.locator("circle").evaluate_all("dots => dots.map(dot => dot.dataset.value)")
    assert [float(value) for value in drawn] == [float(value) for value in days] == [2, 4, 6]
    chart.locator("a.chart-link").first.click()
    page.wait_for_url(f"**/projects/WEB/issues/{history['A'].number}/")
