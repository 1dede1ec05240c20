"""The monthly overview as a printable page (HTML; PDF through headless Chromium)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from huishoudboekje.domain.household import HouseholdError
from huishoudboekje.domain.money import Money

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")
LABELS = {"huur": "huur", "energie": "energie", "water": "water", "stadsverwarming": "stadsverwarming",
          "zorgverzekering": "zorgverzekering", "gemeentelijke-belastingen": "gemeentelijke belastingen",
          "bijstand": "bijstand", "toeslag": "toeslag", "loon": "loon", "uitkering": "uitkering",
          "kinderbijslag": "kinderbijslag", "alimentatie": "alimentatie", "leefgeld": "leefgeld"}

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))


def euro(amount: Money) -> str:
    whole, cents = f"{abs(amount.amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{'-' if amount.is_negative else ''}€\u00a0{grouped},{cents}"  # never wraps


def nl_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


_env.filters.update(euro=euro, nl_date=nl_date, label=lambda v: LABELS.get(v, str(v).replace("-", " ")))


def render_html(overview: dict[str, Any], made_on: date | None = None) -> str:
    month = overview["month"]
    return _env.get_template("overview.html").render(
        o=overview, month_name=f"{MONTHS[month.month - 1]} {month.year}",
        made_on=nl_date(made_on or date.today()))


def render_pdf(html: str, target: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        raise HouseholdError("--format pdf needs Chromium on this machine; use --format html and print that")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "overview.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", f"--user-data-dir={tmp}/profile",
                        f"--print-to-pdf={target.resolve()}", "--no-pdf-header-footer", page.as_uri()],
                       check=True, capture_output=True, timeout=60)
