"""Test fixtures: generated statements come from the same generator the demo uses."""

from adapters.generated import MANAGED, Tx, camt053, mt940  # noqa: F401
