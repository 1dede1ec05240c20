"""A store for the staff web app's tests: two teams, the personas, a night run, and an
account of each role with a password and TOTP set through `hhb users password`."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyotp
from typer.testing import CliRunner

from adapters.cli import app as cli
from tests.conftest import register_teams

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct paard batterij niet"
OWN, OTHER = "HHB-DEMO-0003", "HHB-DEMO-0002"  # Wijkteam Noord's, Wijkteam Zuid's
ACCOUNTS = {  # role: (name, e-mail, team)
    "staff": ("Anna Jansen", "anna@example.nl", "Wijkteam Noord"),
    "teamlead": ("Bram de Boer", "bram@example.nl", "Wijkteam Noord"),
    "auditor": ("Carla Visser", "carla@example.nl", None),
    "finance": ("Dirk Smit", "dirk@example.nl", None),
    "other-staff": ("Eva Bakker", "eva@example.nl", "Wijkteam Zuid"),
    "privacy": ("Fenna Mulder", "fenna@example.nl", None),
}
runner = CliRunner()


def hhb(db: str, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(cli, [*args, "--db", db], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def prepare(db: str, tmp: Path) -> dict[str, str]:
    """The store; answers each account's TOTP secret by e-mail."""
    register_teams(db, tmp, ("Wijkteam Noord", "Wijkteam Zuid"))
    for persona in sorted((ROOT / "personas").glob("*.yaml")):
        hhb(db, "onboard", str(persona), "--actor", "Anna Jansen")
    hhb(db, "reconcile", "--date", "2026-12-02")
    secrets = {}
    for role, (name, email, team) in ACCOUNTS.items():
        hhb(db, "users", "add", "--name", name, "--email", email, "--role", role.replace("other-", ""),
            *(("--team", team) if team else ()), "--actor", "beheer")
        if role == "auditor":  # the password from a file, the others from standard input
            path = tmp / "password.txt"
            path.write_text(PASSWORD + "\n", encoding="utf-8")
            out = hhb(db, "users", "password", email, "--password-file", str(path), "--actor", "beheer")
        else:
            out = hhb(db, "users", "password", email, "--actor", "beheer", stdin=PASSWORD + "\n")
        uri = re.search(r'"totp_uri": "([^"]+)"', out).group(1)
        secrets[email] = parse_qs(urlparse(uri).query)["secret"][0]
    return secrets


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def forget_used_codes(client) -> None:
    """As if the next sign-in came in a new 30-second window: a TOTP code works once, and
    these tests sign one account in many times a minute."""
    from adapters.web.staff.core import sessions
    from adapters.web.staff.sessions import TOTP_STEPS

    with sessions(client.app.state.context).engine.begin() as conn:
        conn.execute(TOTP_STEPS.delete())


def sign_in(client, email: str, secret: str, password: str = PASSWORD, code: str | None = None,
            fresh: bool = True):
    if fresh:
        forget_used_codes(client)
    form = client.get("/medewerker/inloggen")
    return client.post("/medewerker/inloggen", data={
        "email": email, "password": password, "code": code or pyotp.TOTP(secret).now(), "csrf": csrf(form.text)})
