"""Test fixtures: generated statements come from the same generator the demo uses."""

from adapters.generated import MANAGED, Tx, camt053, mt940  # noqa: F401


def release_pending(store_url: str, actor: str = "f.inance") -> list[str]:
    """A finance person (not who onboarded) releases every pending payment file, as after
    each night since four eyes review them: into the outbox. Returns the files released."""
    import json

    from typer.testing import CliRunner

    from adapters.cli import app

    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--db", store_url])
        assert result.exit_code == 0, result.output
        return result.stdout

    names = [f["name"] for f in json.loads(run("payment-files", "list", "--state", "pending", "--json"))]
    for name in names:
        run("payment-files", "release", name, "--actor", actor)
    return names
