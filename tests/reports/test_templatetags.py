"""The chart parts rendered in Python write what the template's loops wrote."""

import datetime
from types import SimpleNamespace

from django.template import Context, Template

from reports.charts import Dot, Series
from reports.templatetags.reports import chart_dots, chart_rows

ROWS_TEMPLATE = Template(
    "{% for row in chart.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
    "{% endfor %}"
)
DOTS_TEMPLATE = Template(
    '{% for dot in chart.dots %}{% if dot.href %}<a href="{{ dot.href }}" class="chart-link">'
    '{% endif %}<circle class="chart-dot {{ dot.series.css }}" cx="{{ dot.x }}" cy="{{ dot.y }}"'
    ' r="{% if dot.href %}5{% else %}3.5{% endif %}" data-value="{{ dot.value }}"'
    '{% if dot.series.color %} fill="{{ dot.series.color }}"{% endif %}><title>{{ dot.label }}'
    "</title></circle>{% if dot.href %}</a>{% endif %}{% endfor %}"
)


def test_table_rows_are_the_templates():
    chart = SimpleNamespace(
        rows=[
            ["WEB-1 <b>&", 3, 2.5, datetime.date(2026, 1, 4), None, "2026-01-04"],
            ["x", 0, 0.1, True, -1.75, ""],
        ]
    )
    assert chart_rows(chart) == ROWS_TEMPLATE.render(Context({"chart": chart}))


def test_dots_are_the_templates_and_escaped():
    series = Series("Done issue", css="chart-accent")
    coloured = Series("In review", color="#8250df")
    chart = SimpleNamespace(
        dots=[
            Dot(10.5, 20.25, series, '<script>alert("x")</script> 3 days', 3.0, "/i/1/?a=1&b=2"),
            Dot(11, 7, coloured, "plain", 1.5),
        ]
    )
    rendered = chart_dots(chart)
    assert rendered == DOTS_TEMPLATE.render(Context({"chart": chart}))
    assert "<script>" not in rendered
