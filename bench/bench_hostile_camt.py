"""Peak memory of parsing hostile ~50 MB camt.053 files, each in a fresh process.

Issue 16: a 52 MB camt.053 (under HHB_MAX_STATEMENT_BYTES) with millions of empty
unknown elements in one entry was accepted at 5.7 GB of memory. Each shape below is
written to a temporary folder and parsed by `parse_statement_file`, as `hhb import`
does, in a child process that reports its peak RSS (VmHWM) and the outcome
(parsed, with how many transactions, or refused, with the reason). Target: below 500 MB.

    .venv/bin/python bench/bench_hostile_camt.py [--mb 50] [--out bench/results/hostile_camt.txt]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts the checkout on sys.path

from adapters.generated import Tx, camt053

CHILD = r"""
import json, sys
from pathlib import Path

def peak_kb():  # VmHWM: the peak of this process's own memory (ru_maxrss would carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

from adapters.statements import parse_statement_file
from huishoudboekje.domain.statement import StatementError
path = Path(sys.argv[1])
before = peak_kb()
try:
    statements = parse_statement_file(path, 60 * 1024 * 1024, today=__import__("datetime").date(2026, 12, 1))
    outcome = f"parsed: {sum(len(s.transactions) for s in statements)} transactions"
except StatementError as exc:
    outcome = f"refused: {exc}"
print(json.dumps({"before_kb": before, "peak_kb": peak_kb(),
                  "outcome": outcome}))
"""

GOOD = Tx("1320.50", date(2026, 11, 30), "NL14BNGH0285001234", "Gemeente Utrecht", "Bijstand HHB-2026-0001")


def with_filler(filler: bytes, where: str, size: int) -> bytes:
    """A valid one-entry statement with `filler` repeated to `size` bytes at `where`."""
    base = camt053([GOOD])
    marker = {"entry": b"</NtryDtls>", "statement": b"<Ntry>"}[where]
    head, tail = base.split(marker, 1)
    count = max((size - len(base)) // len(filler), 0)
    return head + filler * count + marker + tail


def spread(size: int, per_entry: int) -> bytes:
    """Many entries, each carrying `per_entry` empty unknown elements: every one under the cap."""
    base = camt053([GOOD])
    head, rest = base.split(b"<Ntry>", 1)
    entry, tail = rest.split(b"</Ntry>", 1)
    one = b"<Ntry>" + entry.replace(b"</NtryDtls>", b"<X/>" * per_entry + b"</NtryDtls>") + b"</Ntry>"
    return head + one * max(size // len(one), 1) + tail


def many_entries(size: int) -> bytes:
    one = camt053([GOOD])
    head, rest = one.split(b"<Ntry>", 1)
    entry, tail = rest.split(b"</Ntry>", 1)
    entry = b"<Ntry>" + entry + b"</Ntry>"
    return head + entry * max(size // len(entry), 1) + tail


SHAPES = {
    "millions of empty unknown elements in one entry": lambda n: with_filler(b"<X/>", "entry", n),
    "millions of empty prefixed elements in one entry": lambda n: with_filler(b"<p:Unknown xmlns:p='u'/>", "entry", n),
    "millions of attributes on one element": lambda n: with_filler(b" a" + b"0" * 6 + b"=''", "entry", n)
    .replace(b"<X/>", b""),
    "millions of empty elements between header and entries": lambda n: with_filler(b"<X/>", "statement", n),
    "unknown elements spread over entries, each under the cap": lambda n: spread(n, 150_000),
    "a legitimate statement of many small entries": many_entries,
}


def attributes(size: int) -> bytes:
    base = camt053([GOOD])
    count = max((size - len(base)) // 11, 0)
    attrs = b"".join(b" a%07d=''" % i for i in range(count))
    return base.replace(b"<NtryDtls>", b"<NtryDtls><X" + attrs + b"/>", 1)


SHAPES["millions of attributes on one element"] = attributes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    lines = [f"hostile camt.053 of ~{args.mb:g} MB, parsed by parse_statement_file in a fresh process"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in SHAPES.items():
            path = Path(tmp) / "hostile.xml"
            path.write_bytes(build(size))
            megabytes = path.stat().st_size / 1024 / 1024
            done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True,
                                  text=True, check=False)
            if done.returncode:
                raise SystemExit(f"{name}: the child failed\n{done.stderr}")
            result = json.loads(done.stdout)
            outcome = result["outcome"].replace(str(path), "hostile.xml")
            lines.append(f"{name}: {megabytes:.1f} MB file, peak RSS {result['peak_kb'] / 1024:.0f} MB "
                         f"(interpreter and imports {result['before_kb'] / 1024:.0f} MB); {outcome}")
            print(lines[-1], flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
