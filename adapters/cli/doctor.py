"""`hhb doctor`: what is wrong with this installation, on one screen."""

from __future__ import annotations

import typer

from ..doctor import examine
from .common import DbOption, JsonOption, app, emit, out

MARK = {"ok": "[green]ok     [/]", "note": "[yellow]note   [/]", "problem": "[bold red]PROBLEM[/]"}


@app.command()
def doctor(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Check the settings, the database, the accounts, the folders and the scheduler's time
    zone; exit 1 when something is wrong. Writes nothing."""
    findings = examine(db)
    problems = sum(1 for f in findings if f.level == "problem")
    if as_json:
        emit({"problems": problems, "findings": [f.as_dict() for f in findings]})
    else:
        for finding in findings:
            out.print(f"{MARK[finding.level]} {finding.area:<10} {finding.text}", highlight=False, soft_wrap=True)
        out.print(f"{problems} problem(s)" if problems else "no problems found", highlight=False)
    if problems:
        raise typer.Exit(1)
