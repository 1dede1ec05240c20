"""Server-rendered SVG charts for the staff web app's report (pygal), fit for its
Content-Security-Policy: no script, no inline style.

pygal writes each chart's CSS and a tooltip script into the SVG; the page's policy
(`style-src 'self'`, no scripts) would block both. So the CSS is served once as a
stylesheet (`/medewerker/static/charts.css`, every chart's selectors under the class
`pygal-chart`), and each chart's SVG is stripped of its <style>, <script>, comments,
`style` attributes and id, then marked as an image named by its title. The numbers
each chart shows are in a table beside it (the text alternative).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from functools import cache

import pygal
from lxml import etree
from pygal.style import Style

SVG = "{http://www.w3.org/2000/svg}"
STYLE = Style(background="transparent", plot_background="transparent", foreground="#1d1d1b",
              foreground_strong="#1d1d1b", foreground_subtle="#6b6b6b", opacity=".9", opacity_hover="1",
              font_family="system-ui, sans-serif", label_font_size=13, major_label_font_size=13,
              legend_font_size=13, title_font_size=16, value_font_size=12,
              colors=("#154273", "#b35a00", "#2e7d32", "#8e24aa", "#a4001d", "#00695c", "#5d4037",
                      "#37474f", "#ad1457", "#283593", "#558b2f", "#6d4c41"))
CONFIG = dict(style=STYLE, js=[], disable_xml_declaration=True, explicit_size=False, width=720, height=360,
              legend_at_bottom=True, legend_at_bottom_columns=2, print_values=False, show_y_guides=True,
              truncate_legend=-1, truncate_label=-1)


def bar_chart(title: str, labels: Sequence[str], series: Iterable[tuple[str, Sequence[int | float]]],
              stacked: bool = False) -> str:
    """An SVG bar chart (stacked: one bar per label, the series on top of each other)."""
    chart = (pygal.StackedBar if stacked else pygal.Bar)(**CONFIG)  # untitled: the page's heading names it
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _clean(chart, title)


def line_chart(title: str, labels: Sequence[str], series: Iterable[tuple[str, Sequence[Decimal]]],
               words: Callable[[Decimal], str]) -> str:
    """An SVG line chart of amounts; each point's value in the SVG written by `words`
    (euros as the page writes them), not as pygal's float."""
    chart = pygal.Line(**CONFIG, show_dots=True, fill=False)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, [{"value": v, "formatter": lambda _shown, text=words(v): text} for v in values])
    return _clean(chart, title)


def _clean(chart: pygal.graph.graph.Graph, title: str) -> str:
    tree = chart.render_tree()
    for element in list(tree.iter("style", "script", f"{SVG}style", f"{SVG}script", etree.Comment)):
        element.getparent().remove(element)
    for element in tree.iter():
        if isinstance(element.tag, str):
            element.attrib.pop("style", None)
    tree.attrib.pop("id", None)
    for named in tree.iterchildren(f"{SVG}title", "title"):  # pygal names every chart "Pygal"
        named.text = title
    tree.set("role", "img")
    tree.set("aria-label", title)
    tree.set("focusable", "false")
    return etree.tostring(tree, encoding="unicode")


@cache
def stylesheet() -> str:
    """pygal's CSS for these charts, its per-chart id replaced by the class every chart has."""
    chart = pygal.Bar(**CONFIG)
    for n in range(len(STYLE.colors)):  # a rule per colour
        chart.add(f"s{n}", [1])
    tree = chart.render_tree()
    prefix = "#" + tree.get("id")
    css = "".join(s.text or "" for s in tree.iter("style", f"{SVG}style"))
    return css.replace(prefix, ".pygal-chart")
