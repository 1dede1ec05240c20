"""`hhb onboard --dry-run`: what onboarding would write and the first pay date it
leads to, as plain text for staff (the CLI's language is English)."""

from __future__ import annotations

from typing import Any


def dry_run_text(reports: list[dict[str, Any]]) -> str:
    lines = ["Dry run: nothing was written."]
    for report in reports:
        lines += ["", f"{report['dossier']}: {report['status']}, {len(report['events'])} events would be written"]
        lines += [f"  {e['event']:<24} {e['business_date'] or '':<10}  {e['details']}" for e in report["events"]]
        lines.append(f"  charges are ours to pay from {report['paid_from']}")
        forecast = report["forecast"]
        if forecast is None:
            lines.append("  no pay date follows: the household is settled")
            continue
        lines.append(f"  Forecast of the pay date {forecast['pay_date']}:")
        lines.append(_row("in the pot", forecast["pot_before"]))
        lines += [_row(f"income {i['agreement']} {i['date']}", i["amount"]) for i in forecast["incomes"]]
        lines += [_row(f"{c['kind']} {c['agreement']} due {c['due']}", c["amount"]) for c in forecast["charges"]]
        lines += [_row(f"unpaid {u['agreement']} due {u['due']}", u["amount"]) for u in forecast["unpaid"]]
        lines += [_row(f"reserved for {k}", v) for k, v in forecast["reserved"].items()]
        lines.append(_row("advanced by the buffer", forecast["advanced"]))
        if forecast["repaid"] != "0.00":
            lines.append(_row("buffer repaid", forecast["repaid"]))
        lines.append(_row("leefgeld", forecast["leefgeld"]))
    return "\n".join(lines)


def _row(label: str, amount: str) -> str:
    return f"    {label:<40} {amount:>12}"
