"""Shared fixtures: the trained model used by model and live tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_path() -> str:
    """The model under test: $TRIAGE_MODEL (set by `make test`) or the newest in models/."""
    chosen = os.environ.get("TRIAGE_MODEL")
    if chosen:
        return chosen
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.fail("no trained model: run `make train` (or `make test`, which trains first)")
    return str(models[-1])
