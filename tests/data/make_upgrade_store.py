"""Writes `store-v13.sqlite` (stop 13, commit 08a9a95) or `store-v14.sqlite` (stop 14, commit
154d582): a store as the engine of that stop left it.

    git worktree add /tmp/old 08a9a95
    cd /tmp/old && /work/main/.venv/bin/python /work/main/tests/data/make_upgrade_store.py OUT.sqlite

It runs `python -m adapters.cli` from the current directory, so the code of that checkout
writes the store: 45 households onboarded one by one (the one income directory of that
version is snapshotted at 40), their November zorgtoeslag and 45 strangers imported in one
statement (one ledger event), and 41 strangers marked as not ours by hand (the month's
ledger is snapshotted at 40). `tests/integration/test_upgrade.py` then imports, pays and rebuilds it
with today's code, and compares with a store that today's code wrote from the start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.upgrade_story import documents, first_statement  # noqa: E402


def hhb(db: str, *args: str) -> str:
    env = {**os.environ, "HHB_MANAGED_ACCOUNTS": "NL39BNGH0285009999", "HHB_VAR_DIR": str(Path(db).parent / "var")}
    done = subprocess.run([sys.executable, "-m", "adapters.cli", *args, "--db", f"sqlite:///{db}"],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{args[0]}: {done.stderr}")
    return done.stdout


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "store.sqlite")
        teams = sorted({line.split(":", 1)[1].strip() for text in documents() for line in text.splitlines()
                        if line.startswith("team:")})
        help_text = subprocess.run([sys.executable, "-m", "adapters.cli", "--help"], capture_output=True,
                                   text=True, check=False).stdout
        for team in teams if " teams " in help_text else ():  # from stop 14 on, onboarding takes registered teams only
            hhb(db, "teams", "add", team)
        for n, text in enumerate(documents()):
            path = Path(tmp) / f"doc{n}.yaml"
            path.write_text(text)
            hhb(db, "onboard", str(path))
        statement = Path(tmp) / "a.xml"
        statement.write_bytes(first_statement())
        hhb(db, "import", str(statement))
        strangers = [t["transaction"] for t in json.loads(hhb(db, "unmatched", "--json"))]
        for ident in strangers[:41]:
            hhb(db, "book", ident, "--ignore")
        out.write_bytes(Path(db).read_bytes())


if __name__ == "__main__":
    main()
