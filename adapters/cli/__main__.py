"""`python -m adapters.cli`: the `hhb` command line."""

from . import app

app()
