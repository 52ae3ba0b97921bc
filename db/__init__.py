"""Persistence: models, engine, migrations and query functions."""
