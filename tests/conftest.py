"""Shared fixtures. Heavy fixtures live in their own plugin modules under tests/fixtures/."""

pytest_plugins: list[str] = []
