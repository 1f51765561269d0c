from __future__ import annotations

from typing import Any

import pytest

from support_rules.calendar import BusinessCalendar
from support_rules.settings import DeskConfig, parse_config
from tests.unit.helpers import raw_desk


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the caller's DESK_NOW / DESK_CONFIG."""
    monkeypatch.delenv("DESK_NOW", raising=False)
    monkeypatch.delenv("DESK_CONFIG", raising=False)


@pytest.fixture
def raw() -> dict[str, Any]:
    """desk.yml's mapping, safe to modify in a test."""
    return raw_desk()


@pytest.fixture
def config(raw: dict[str, Any]) -> DeskConfig:
    return parse_config(raw)


@pytest.fixture
def calendar(config: DeskConfig) -> BusinessCalendar:
    return BusinessCalendar(config)
