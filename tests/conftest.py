"""Shared fixtures: the trained model used by model and live tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import INSIDE_HOURS, SATURDAY_NIGHT, Desk, WebhookReceiver, newest_model, running

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_path() -> str:
    """The model under test: $TRIAGE_MODEL (set by `make test`) or the newest in models/."""
    model = newest_model()
    if model is None:
        pytest.fail("no trained model: run `make train` (or `make test`, which trains first)")
    return model


@pytest.fixture(scope="session")
def webhooks() -> Iterator[WebhookReceiver]:
    """Receives the agents' and the ticketing system's webhooks of the live desks."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def desks(
    model_path: str, tmp_path_factory: pytest.TempPathFactory, webhooks: WebhookReceiver
) -> Iterator[dict[str, Desk]]:
    hooks = {
        "AGENT_WEBHOOK_URL": webhooks.url,
        "AGENT_WEBHOOK_SECRET": "e2e-agent-secret",
        "TICKET_WEBHOOK_URL": webhooks.url,
        "TICKET_WEBHOOK_SECRET": "e2e-ticket-secret",
    }
    started = {
        "inside": Desk(INSIDE_HOURS, tmp_path_factory.mktemp("inside"), extra_env=dict(hooks)),
        "saturday": Desk(SATURDAY_NIGHT, tmp_path_factory.mktemp("saturday")),
    }
    with running(started, model_path):
        yield started


@pytest.fixture(scope="session")
def inside(desks: dict[str, Desk]) -> Desk:
    return desks["inside"]


@pytest.fixture(scope="session")
def saturday(desks: dict[str, Desk]) -> Desk:
    return desks["saturday"]
