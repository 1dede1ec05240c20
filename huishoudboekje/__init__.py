"""Household financial-stabilisation engine."""
