"""Rapportage (/medewerker/rapportage): the team report (`hhb report`, GET /api/v1/reports)
as tables, with charts where people would rather look than read — signals per month by
rule, the buffer owed at each month's end, households by leefgeld band, households by
arrears — and its CSV export.

As the API: a teamlead reads their own team's report, an auditor any team's or all
teams' (`?team=`); nobody else (403). The charts are pygal's SVG inline in the page
(`charts.py`), each followed by a table of the same numbers, its text alternative. The
CSV (`/medewerker/rapportage.csv`) holds the report's own numbers, one `field,value`
row each, exactly as GET /reports answers them, then the charts' numbers (`chart.…`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from huishoudboekje.domain.access import AUDITOR, TEAMLEAD
from huishoudboekje.domain.money import Money
from huishoudboekje.projections.wording import euros
from huishoudboekje.reports import buffer_exposure

from ..participant import _views, security_headers
from . import charts
from .core import BASE, COOKIE, Staff, forbidden, lang_of, signed_in, staff_page, to_sign_in
from .words import MESSAGES, rule_names

router = APIRouter(include_in_schema=False)
PAGE = f"{BASE}/rapportage"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTHS_SHOWN = 12
# (lower bound inclusive, in euros; the label's key); a band runs to the next one's bound
LEEFGELD_BANDS = ((None, "band_below_0"), ("0.00", "band_0_250"), ("250.00", "band_250_500"),
                  ("500.00", "band_500_1000"), ("1000.00", "band_1000_up"))
ARREARS_BANDS = ((None, "band_none"), ("0.01", "band_0_100"), ("100.00", "band_100_500"),
                 ("500.00", "band_500_1000"), ("1000.00", "band_1000_up"))

WORDS = {
    "nl": {
        "nav_report": "Rapportage", "report_title": "Rapportage", "report_of": "Team {team}",
        "report_all": "Alle teams", "report_team": "Team", "report_month": "Maand (JJJJ-MM)",
        "report_show": "Tonen", "report_csv": "Download als CSV", "month_invalid": "Maand: schrijf de maand als "
        "JJJJ-MM, bijvoorbeeld 2026-11.", "r_households": "Huishoudens", "r_open": "Open signalen",
        "r_buffer": "Voorschot (buffer) open", "r_arrears": "Achterstanden",
        "r_arrears_value": "{count} posten, {amount}",
        "r_shortfall": "Tekort verwacht bij", "r_none": "geen", "r_endings": "Beëindigd", "r_held": "Tegengehouden "
        "door het maximum per maand", "chart_signals": "Signalen per maand, per soort (ook opgeloste)",
        "chart_buffer": "Voorschot van de buffer open aan het eind van elke maand",
        "chart_buffer_series": "Voorschot open", "amount": "Bedrag",
        "chart_leefgeld": "Huishoudens per leefgeld deze maand", "chart_arrears": "Huishoudens per achterstand",
        "households_n": "Huishoudens", "month": "Maand", "rule": "Soort", "count": "Aantal", "band": "Bedrag",
        "band_below_0": "minder dan € 0", "band_0_250": "€ 0 tot € 250", "band_250_500": "€ 250 tot € 500",
        "band_500_1000": "€ 500 tot € 1.000", "band_1000_up": "€ 1.000 of meer", "band_none": "geen achterstand",
        "band_0_100": "tot € 100", "band_100_500": "€ 100 tot € 500",
        "no_data": "Nog niets om te tonen.", "table_of": "De cijfers van deze grafiek",
    },
    "en": {
        "nav_report": "Report", "report_title": "Report", "report_of": "Team {team}", "report_all": "All teams",
        "report_team": "Team", "report_month": "Month (YYYY-MM)", "report_show": "Show",
        "report_csv": "Download as CSV", "month_invalid": "Month: write the month as YYYY-MM, for example 2026-11.",
        "r_households": "Households", "r_open": "Open signals", "r_buffer": "Advance (buffer) outstanding",
        "r_arrears": "Arrears", "r_arrears_value": "{count} items, {amount}", "r_shortfall": "Shortfall expected for",
        "r_none": "none", "r_endings": "Ended", "r_held": "Held back by the monthly cap",
        "chart_signals": "Signals per month, by kind (resolved ones too)",
        "chart_buffer": "Advance from the buffer outstanding at each month's end",
        "chart_buffer_series": "Advance outstanding", "amount": "Amount",
        "chart_leefgeld": "Households by leefgeld this month", "chart_arrears": "Households by arrears",
        "households_n": "Households", "month": "Month", "rule": "Kind", "count": "Number", "band": "Amount",
        "band_below_0": "below €0", "band_0_250": "€0 to €250", "band_250_500": "€250 to €500",
        "band_500_1000": "€500 to €1,000", "band_1000_up": "€1,000 or more", "band_none": "no arrears",
        "band_0_100": "up to €100", "band_100_500": "€100 to €500",
        "no_data": "Nothing to show yet.", "table_of": "This chart's numbers",
    },
}
for _lang, _words in WORDS.items():
    MESSAGES[_lang].update(_words)


@router.get(f"{BASE}/static/charts.css")
def chart_styles() -> Response:
    response = security_headers(Response(charts.stylesheet(), media_type="text/css; charset=utf-8"))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _asked(request: Request, staff: Staff) -> tuple[str | None, str | None, bool] | None:
    """(team, month, month_ok) as the API reads them; None: this person may not read it."""
    team = (request.query_params.get("team") or "").strip()[:100] or None
    if staff.role == TEAMLEAD:
        if team and team != staff.principal.team:
            return None
        team = staff.principal.team
    elif staff.role != AUDITOR:
        return None
    month = (request.query_params.get("month") or "").strip()
    ok = not month or bool(MONTH.match(month))
    return team, (month if month and ok else None), ok


def _staff(request: Request) -> Staff | Response:
    staff = signed_in(request)
    if staff is None:
        return to_sign_in(request, "expired" if request.cookies.get(COOKIE) else None)
    return staff


@router.get(PAGE)
def report_page(request: Request) -> Response:
    staff = _staff(request)
    if not isinstance(staff, Staff):
        return staff
    asked = _asked(request, staff)
    if asked is None:
        return forbidden(request, staff)
    team, month, ok = asked
    lang = lang_of(request)[0]
    m = MESSAGES[lang]
    staff.ctx.services.catch_up()
    report = staff.ctx.services.report(team, month)
    figures = _figures(staff, team, month, m, lang)
    teams = [t["name"] for t in staff.ctx.services.teams()] if staff.role == AUDITOR else []
    query = "&".join(f"{k}={v}" for k, v in (("team", team), ("month", month)) if v)
    return staff_page(request, staff, "report.html", 200 if ok else 400, r=report, facts=_facts(report, m, lang),
                      figures=figures, teams=teams, team=team, month=month or "",
                      error=None if ok else m["month_invalid"], csv_href=f"{PAGE}.csv" + (f"?{query}" if query else ""))


@router.get(f"{PAGE}.csv")
def report_csv(request: Request) -> Response:
    staff = _staff(request)
    if not isinstance(staff, Staff):
        return staff
    asked = _asked(request, staff)
    if asked is None:
        return forbidden(request, staff)
    team, month, ok = asked
    if not ok:
        return report_page(request)
    staff.ctx.services.catch_up()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["field", "value"])
    writer.writerows((key, _cell(value)) for key, value in flatten(staff.ctx.services.report(team, month)))
    writer.writerows(chart_rows(_figures(staff, team, month, MESSAGES["nl"], "nl")))
    name = "-".join(x for x in ("rapportage", re.sub(r"[^A-Za-z0-9]+", "-", team or "alle-teams"), month) if x)
    response = security_headers(Response(out.getvalue(), media_type="text/csv; charset=utf-8"))
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def flatten(report: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """The report's numbers as (field, value), nested keys joined by dots, lists by spaces;
    the read model's status (`projection`) left out: it is no number of the report."""
    rows: list[tuple[str, str]] = []
    for key, value in report.items():
        if not prefix and key == "projection":
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, name + "."))
        elif isinstance(value, list):
            rows.append((name, " ".join(str(v) for v in value)))
        else:
            rows.append((name, "" if value is None else str(value)))
    return rows


def chart_rows(figures: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each chart's numbers as (field, value): `chart.<chart>.<label>[.<series>]`."""
    rows = []
    for fig in figures:
        for label, values in fig["data"]:
            rows.extend((".".join(("chart", fig["key"], label, *([name] if name else []))), value)
                        for name, value in values)
    return rows


def _cell(value: str) -> str:
    """A spreadsheet does not run what a team's name or a reason may start with."""
    return "'" + value if value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not _number(value)) \
        else value


def _number(value: str) -> bool:
    return bool(re.fullmatch(r"-?\d+(\.\d+)?", value))


def _facts(r: dict[str, Any], m: dict[str, str], lang: str) -> list[tuple[str, str]]:
    endings = ", ".join(f"{k}: {v}" for k, v in r["endings"].items()) or m["r_none"]
    return [(m["r_households"], str(r["households"])), (m["r_open"], str(r["open_signals_total"])),
            (m["r_buffer"], euros(r["buffer_outstanding"], lang)),
            (m["r_arrears"], m["r_arrears_value"].format(count=r["arrears"]["count"],
                                                          amount=euros(r["arrears"]["amount"], lang))),
            (m["r_shortfall"], ", ".join(r["households_with_shortfall_ahead"]) or m["r_none"]),
            (m["r_endings"], endings), (m["r_held"], str(r["signals_held_back"].get("total", 0)))]


def _figures(staff: Staff, team: str | None, month: str | None, m: dict[str, str],
             lang: str) -> list[dict[str, Any]]:
    return [_signals_figure(staff, team, m, lang), _exposure_figure(staff, team, month, m, lang),
            _band_figure("leefgeld", _leefgeld(staff, team), LEEFGELD_BANDS, m),
            _band_figure("arrears", [Money(h["arrears_amount"]) for h in _households(staff, team)], ARREARS_BANDS, m)]


def _exposure_figure(staff: Staff, team: str | None, month: str | None, m: dict[str, str],
                     lang: str) -> dict[str, Any]:
    """The buffer owed by the team's households at each month's end, up to the month asked
    (this month by default): read from their events (`buffer_exposure`)."""
    ids = [UUID(h["household_id"]) for h in _households(staff, team)]
    owed = buffer_exposure(staff.ctx.services.engine, ids, month or date.today().strftime("%Y-%m"), MONTHS_SHOWN)
    title = m["chart_buffer"]
    amounts = [Money(v).amount for v in owed.values()]
    svg = charts.line_chart(title, list(owed), [(m["chart_buffer_series"], amounts)],
                            lambda amount: euros(Money(amount), lang)) if owed else None
    return {"key": "buffer_exposure", "title": title, "svg": svg, "head": [m["month"], m["amount"]],
            "rows": [[label, euros(value, lang)] for label, value in owed.items()],
            "data": [(label, [("", value)]) for label, value in owed.items()]}


def _households(staff: Staff, team: str | None) -> list[dict[str, Any]]:
    return staff.ctx.services.projections.households(team)


def _leefgeld(staff: Staff, team: str | None) -> list[Money]:
    """Each active household's leefgeld paid this month."""
    views, today, found = _views(staff.ctx).fresh(), date.today(), []
    for row in _households(staff, team):
        household = views.household(row["dossier"])
        if household is not None and row["status"] == "active":
            found.append(Money(staff.ctx.services.left(household, today, with_projection=False)["leefgeld"]["paid"]))
    return found


def _band_figure(key: str, amounts: list[Money], bands: tuple[tuple[str | None, str], ...],
                 m: dict[str, str]) -> dict[str, Any]:
    counts = Counter(_band(amount, bands) for amount in amounts)
    labels = [m[label] for _, label in bands]
    values = [counts.get(label, 0) for _, label in bands]
    title = m[f"chart_{key}"]
    svg = charts.bar_chart(title, labels, [(m["households_n"], values)]) if amounts else None
    return {"key": key, "title": title, "svg": svg, "head": [m["band"], m["households_n"]],
            "rows": [[label, str(value)] for label, value in zip(labels, values)],
            "data": [(name.removeprefix("band_"), [("", str(value))]) for (_, name), value in zip(bands, values)]}


def _band(amount: Money, bands: tuple[tuple[str | None, str], ...]) -> str:
    chosen = bands[0][1]
    for bound, label in bands:
        if bound is None or amount >= Money(bound):
            chosen = label
    return chosen


def _signals_figure(staff: Staff, team: str | None, m: dict[str, str], lang: str) -> dict[str, Any]:
    """Every household signal raised (any status), per month and rule: the last months."""
    counts = Counter((s["raised_on"][:7], s["rule"]) for s in staff.ctx.services.projections.signals(team=team))
    months = sorted({month for month, _ in counts})[-MONTHS_SHOWN:]
    rules = sorted({rule for _, rule in counts})
    names = [rule_names(lang).get(rule, rule) for rule in rules]
    title = m["chart_signals"]
    series = [(name, [counts.get((month, rule), 0) for month in months]) for rule, name in zip(rules, names)]
    svg = charts.bar_chart(title, months, series, stacked=True) if months else None
    return {"key": "signals", "title": title, "svg": svg, "head": [m["month"], *names],
            "rows": [[month, *(str(counts.get((month, rule), 0)) for rule in rules)] for month in months],
            "data": [(month, [(rule, str(counts.get((month, rule), 0))) for rule in rules]) for month in months]}
