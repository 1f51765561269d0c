"""Three small, documented adjustments of Rasa 3.6's server for failures of its dependencies.

Installed once by ``channels/__init__.py``, i.e. when the Rasa server imports our input
channels from ``credentials.yml`` — before it loads the model or creates the tracker
store. Nothing here runs in the action server or in the one-shot command.

1. **The action server is down.** Rasa 3.6's ``RemoteAction.run`` raises
   ``RasaException`` when the action server refuses the connection, times out or
   answers 5xx, and ``MessageProcessor._run_action`` logs it and continues with no
   events, so the customer is left in silence (and every further custom action of
   the turn fails the same way). ``guarded_run_action`` wraps ``_run_action``: when a
   remote action of this step failed *because the action server is unavailable*, the
   customer gets the domain's ``utter_service_unavailable`` (apology, try again
   shortly, and the 24-hour number for severity A from ``desk.yml``, filled in the
   same way the actions fill ``{phone}``), the bot listens again
   (``action_listen``), and the turn ends. The failed action stays logged as Rasa
   logs it, so the conversation — an active form included — resumes from the same
   point once the action server is back. A 400 (``ActionExecutionRejection``) and
   every other exception keep Rasa's own behaviour.

2. **PostgreSQL restarted.** Rasa's ``SQLTrackerStore`` creates its engine without
   ``pool_pre_ping``, so after a database restart every pooled connection is dead and
   requests fail until the pool has been cycled. ``create_engine_kwargs`` is wrapped
   to add ``pool_pre_ping=True`` for PostgreSQL (the ticket store already uses it):
   a dead connection is detected and replaced before use.

3. **A replica died holding a conversation lock.** Rasa 3.6's ``TicketLock.is_locked``
   is ``now_serving != ticket``. When a replica is killed while handling a message,
   its ticket stays in Redis until it expires (``TICKET_LOCK_LIFETIME``); the next
   message of that conversation waits for it, polling once a second — and if its own
   ticket expires in the same poll interval as the dead one (a resend within a
   second), ``now_serving`` becomes 0 and it waits until Sanic cancels the request
   60 s later: the customer gets no answer. ``is_locked_by_earlier`` keeps Rasa's
   order (locked while an earlier unexpired ticket exists) without that dead end.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

# Sent when the action server cannot be reached (domain/, responses).
SERVICE_UNAVAILABLE_RESPONSE = "utter_service_unavailable"

_INSTALLED_MARK = "_desk_resilience_installed"
# Failures of remote actions during the current ``_run_action`` call (one list per call).
_unavailable: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("desk_action_unavailable", default=None)


def is_action_server_unavailable(error: BaseException) -> bool:
    """True when ``error`` (or what caused it) says the action server could not answer:
    refused/reset connection, timeout, or a 5xx status."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, aiohttp.ClientResponseError):
            return current.status >= 500
        if isinstance(current, (aiohttp.ClientConnectionError, asyncio.TimeoutError, ConnectionError)):
            return True
        current = current.__cause__ or current.__context__
    return False


def service_unavailable_kwargs() -> dict[str, str]:
    """Template values of ``utter_service_unavailable`` (the severity A number from desk.yml)."""
    from support_rules.settings import get_config

    return {"phone": get_config().severity_a_phone}


RunAction = Callable[..., Awaitable[Any]]


def guarded_remote_run(original: RunAction) -> RunAction:
    """``RemoteAction.run`` that notes an unavailable action server before re-raising."""

    async def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await original(self, *args, **kwargs)
        except Exception as error:
            failures = _unavailable.get()
            if failures is not None and is_action_server_unavailable(error):
                failures.append(str(self.name()))
            raise

    run.__wrapped__ = original  # type: ignore[attr-defined]
    return run


def guarded_run_action(original: RunAction) -> RunAction:
    """``MessageProcessor._run_action`` that answers politely when the action server is down."""

    async def run_action(
        self: Any, action: Any, tracker: Any, output_channel: Any, nlg: Any, prediction: Any
    ) -> Any:
        failures: list[str] = []
        token = _unavailable.set(failures)
        try:
            should_continue = await original(self, action, tracker, output_channel, nlg, prediction)
        finally:
            _unavailable.reset(token)
        if not failures:
            return should_continue
        logger.error(
            "action server unavailable while running %s (conversation continues when it is back); "
            "the customer was sent %s",
            ", ".join(failures),
            SERVICE_UNAVAILABLE_RESPONSE,
        )
        await _tell_customer(tracker, output_channel, nlg)
        return False

    run_action.__wrapped__ = original  # type: ignore[attr-defined]
    return run_action


async def _tell_customer(tracker: Any, output_channel: Any, nlg: Any) -> None:
    from rasa.core.actions.action import create_bot_utterance
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted

    message = await nlg.generate(
        SERVICE_UNAVAILABLE_RESPONSE, tracker, output_channel.name(), **service_unavailable_kwargs()
    )
    if message is not None:
        # Like Rasa's own responses: the response name in the event's metadata.
        utterance = create_bot_utterance(dict(message, utter_action=SERVICE_UNAVAILABLE_RESPONSE))
        tracker.update(utterance)
        try:
            await output_channel.send_response(tracker.sender_id, utterance.message())
        except Exception:  # the channel's own failure must not hide the original one
            logger.exception("could not send %s", SERVICE_UNAVAILABLE_RESPONSE)
    else:  # the domain lacks the response: validate_data.py prevents this
        logger.error("domain has no response %s", SERVICE_UNAVAILABLE_RESPONSE)
    # End the turn as a normal one ends, so the next message is predicted from a listen.
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))


def with_pool_pre_ping(original: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """``create_engine_kwargs`` that adds ``pool_pre_ping`` for PostgreSQL."""

    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = dict(original(url))
        if "pool_size" in kwargs:  # Rasa sets the pool only for PostgreSQL
            kwargs.setdefault("pool_pre_ping", True)
        return kwargs

    create_engine_kwargs.__wrapped__ = original  # type: ignore[attr-defined]
    return create_engine_kwargs


def is_locked_by_earlier(self: Any, ticket_number: int) -> bool:
    """``TicketLock.is_locked``: True while an unexpired ticket issued before ours exists."""
    self.remove_expired_tickets()
    return any(ticket.number < ticket_number for ticket in self.tickets)


def install() -> bool:
    """Install the wrappers once; False when Rasa's internals are not what we expect (then
    Rasa's own behaviour is kept, with a warning)."""
    try:
        from rasa.core import lock, processor, tracker_store
        from rasa.core.actions import action
    except ImportError:  # not in a Rasa environment
        return False
    if getattr(processor.MessageProcessor, _INSTALLED_MARK, False):
        return True
    targets = (
        hasattr(processor.MessageProcessor, "_run_action"),
        hasattr(action.RemoteAction, "run"),
        hasattr(tracker_store, "create_engine_kwargs"),
        hasattr(lock.TicketLock, "is_locked") and hasattr(lock.TicketLock, "remove_expired_tickets"),
    )
    if not all(targets):
        logger.warning("resilience wrappers not installed: this Rasa version's internals differ")
        return False
    processor.MessageProcessor._run_action = guarded_run_action(processor.MessageProcessor._run_action)
    action.RemoteAction.run = guarded_remote_run(action.RemoteAction.run)
    tracker_store.create_engine_kwargs = with_pool_pre_ping(tracker_store.create_engine_kwargs)
    lock.TicketLock.is_locked = is_locked_by_earlier
    setattr(processor.MessageProcessor, _INSTALLED_MARK, True)
    return True
