"""Serve the website chat widget (web/) for trying it locally and for the browser test.

Serves only the widget's own files, socket.io's client bundle from web/node_modules
(installed by `npm ci` in web/) and a generated /config.js that tells the page where the
Rasa server's socket.io endpoint is.

Environment:
  WEB_PORT    port to listen on (default 8080; 0 picks a free one)
  WEB_HOST    address to bind (default 127.0.0.1)
  RASA_PORT   Rasa server port (default 5005)
  SOCKET_URL  socket.io server URL for the page (default http://<the host the browser
              used to open the page>:$RASA_PORT)
"""

from __future__ import annotations

import json
import os
import re
import socket as sockets
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

WEB = Path(__file__).resolve().parent.parent / "web"
SOCKET_IO = WEB / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"

# URL path → (file, content type). Nothing else under web/ is served.
FILES: dict[str, tuple[Path, str]] = {
    "/": (WEB / "index.html", "text/html; charset=utf-8"),
    "/index.html": (WEB / "index.html", "text/html; charset=utf-8"),
    "/widget.js": (WEB / "widget.js", "text/javascript; charset=utf-8"),
    "/widget.css": (WEB / "widget.css", "text/css; charset=utf-8"),
    "/vendor/socket.io.min.js": (SOCKET_IO, "text/javascript; charset=utf-8"),
}
HOSTNAME = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$")


def socket_url(host_header: str | None) -> str:
    """The socket.io URL for the page: $SOCKET_URL, else the page's host on $RASA_PORT."""
    explicit = os.environ.get("SOCKET_URL", "").strip()
    if explicit:
        return explicit
    port = int(os.environ.get("RASA_PORT", "5005"))
    host = "127.0.0.1"
    if host_header:
        candidate = urlsplit(f"//{host_header.strip()}").hostname or ""
        if ":" in candidate:  # IPv6 literal
            candidate = f"[{candidate}]"
        if HOSTNAME.match(candidate):
            host = candidate
    return f"http://{host}:{port}"


def content_security_policy(socket: str) -> str:
    parts = urlsplit(socket)
    origin = f"{parts.scheme}://{parts.netloc}"
    ws = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' {origin} {ws}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


class Handler(BaseHTTPRequestHandler):
    server_version = "SupportChatWeb/1.0"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        path = urlsplit(self.path).path
        socket = socket_url(self.headers.get("Host"))
        headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
        if path == "/config.js":
            config = {"socketUrl": socket, "socketPath": "/socket.io"}
            body = f"window.SUPPORT_CHAT_CONFIG = {json.dumps(config)};\n".encode()
            self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", body, send_body, headers)
            return
        if path == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, "image/x-icon", b"", send_body, headers)
            return
        entry = FILES.get(path)
        if entry is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n", send_body, headers)
            return
        file, content_type = entry
        try:
            body = file.read_bytes()
        except OSError:
            message = f"missing {file.relative_to(WEB.parent)} (run `npm ci` in web/)\n"
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", message.encode(), send_body, headers)
            return
        if content_type.startswith("text/html"):
            headers["Content-Security-Policy"] = content_security_policy(socket)
        self._send(HTTPStatus.OK, content_type, body, send_body, headers)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes, send_body: bool,
              headers: dict[str, str]) -> None:  # fmt: skip
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"[serve_web] {self.address_string()} {format % args}\n")


def main() -> int:
    host = os.environ.get("WEB_HOST", "127.0.0.1")
    port = int(os.environ.get("WEB_PORT", "8080"))
    if not SOCKET_IO.is_file():
        print(f"warning: {SOCKET_IO} is missing; run `npm ci` in {WEB}", file=sys.stderr)
    server_class = ThreadingHTTPServer
    if ":" in host:  # an IPv6 address such as ::1

        class IPv6Server(ThreadingHTTPServer):
            address_family = sockets.AF_INET6

        server_class = IPv6Server
    server = server_class((host, port), Handler)
    server.daemon_threads = True
    shown = f"[{host}]" if ":" in host else host
    print(f"Chat widget: http://{shown}:{server.server_port}/  (socket.io: {socket_url(None)})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
