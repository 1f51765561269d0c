"""In-process servers for the fuzz tests: a channel's blueprint mounted the way
``rasa run`` mounts it (``rasa.core.channels.channel.register``) on a real Sanic
server on 127.0.0.1, with a fake agent that records what reaches the bot."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage, register
from sanic import Sanic

from tests.live import RESERVED_PORTS

BOT_REPLY = "承知しました。ご用件を確認いたします。"


@dataclass
class RecordingAgent:
    """Stands in for ``app.ctx.agent``: records every message and answers in Japanese."""

    received: list[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": BOT_REPLY})


def bound_socket() -> socket.socket:
    while True:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        if sock.getsockname()[1] not in RESERVED_PORTS:
            return sock
        sock.close()


@asynccontextmanager
async def serve(channel: InputChannel, agent: Any) -> AsyncIterator[str]:
    """``channel`` on a real Sanic server; yields its base URL."""
    app = Sanic(f"fuzz_{uuid.uuid4().hex[:12]}", configure_logging=False)
    app.ctx.agent = agent
    register([channel], app, "/webhooks/")
    sock = bound_socket()
    # Sanic 21.12 leaves AsyncioServer's methods untyped, hence Any.
    running: Any = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert running is not None
    await running.startup()
    await running.before_start()
    await running.after_start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        await running.before_stop()
        running.close()
        await running.wait_closed()
        await running.after_stop()


async def post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str], *, chunked: bool = False
) -> tuple[int, str]:
    """POST ``body`` (as one chunked stream without Content-Length when ``chunked``)."""
    data: Any = body
    if chunked:

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 16_384):
                yield body[start : start + 16_384]

        data = chunks()
    async with session.post(url, data=data, headers=headers) as answer:
        return answer.status, await answer.text(errors="replace")


async def declared_too_large(url: str, size: int, headers: dict[str, str]) -> int:
    """Status for a request whose ``Content-Length`` is ``size`` but sends only its head:
    a server that checks the header first answers at once, one that reads would wait."""
    parts = url.removeprefix("http://").split("/", 1)
    host, port = parts[0].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        lines = [f"POST /{parts[1]} HTTP/1.1", f"Host: {host}", f"Content-Length: {size}"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + b'{"message": "')
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1])
    finally:
        writer.close()
