"""Every limit applied to untrusted input, in one place.

These are properties of the code and of the protocols, not facts of the desk: they
are tied to what the channels can parse safely and to what the platforms themselves
allow, so they live here as typed constants (checked by mypy, imported without
reading any file) rather than in ``desk.yml``, which holds the business facts the
desk changes (prices, phone numbers, hours). Changing one is a code change with a
test run, which is what it should be.

Order of the checks on every HTTP entry point (REST, socket.io polling, Teams, LINE):

1. ``Content-Length`` above the body limit → 413 without reading the body; the body
   is then read in chunks and reading stops with 413 as soon as it passes the limit
   (chunked uploads and a lying header too) — see ``channels.guard.read_body``;
2. authentication where the channel has one (LINE signature, Teams JWT) → 401;
3. the body must be UTF-8 (400) and its JSON nesting at most ``MAX_JSON_DEPTH`` deep
   (400), both checked on the raw bytes before ``json.loads`` runs;
4. only then is it parsed and validated field by field (400);
5. a message text longer than ``MAX_MESSAGE_CHARS`` is *refused*, not cut: the bot
   never sees it and the customer gets ``utter_channel_too_long`` on the same
   channel (REST: 200 with that reply). A cut problem description could lose exactly
   the clause that states the business impact, and a severity decided on half a
   message would be wrong without anyone knowing.
"""

from __future__ import annotations

from typing import Final

# Message text, in code points. LINE does not let a user send more than 5,000
# characters in one message; the same limit on every channel means a customer gets
# the same answer wherever they write. Longer texts are pasted logs, which the
# severity rules cannot use anyway.
MAX_MESSAGE_CHARS: Final = 5_000
# Conversation ids chosen by the client (REST sender, socket.io session_id).
MAX_SENDER_CHARS: Final = 256
# Objects and arrays inside objects and arrays. Real payloads: REST 2-3, LINE 4-5,
# Teams activities (cards, entities) up to about 10.
MAX_JSON_DEPTH: Final = 32

# Request bodies, in bytes. Each holds a maximal message in the worst JSON encoding
# (\uXXXX escapes: 6 bytes per character, 12 for one outside the BMP) plus the
# channel's envelope.
REST_MAX_BODY_BYTES: Final = 64 * 1024
TEAMS_MAX_BODY_BYTES: Final = 256 * 1024  # activities carry entities and channelData
LINE_MAX_BODY_BYTES: Final = 1024 * 1024  # LINE batches events into one request
# One socket.io HTTP long-polling body or websocket frame (engine.io's
# max_http_buffer_size, 1 MB by default).
SOCKETIO_MAX_PACKET_BYTES: Final = 64 * 1024

# The one-shot command reads whole e-mails and web forms (with quoted history and
# signatures), so its text limit is higher; an over-long line yields an error row.
ONESHOT_MAX_LINE_BYTES: Final = 1_000_000
ONESHOT_MAX_TEXT_CHARS: Final = 20_000

# The Japanese sentence a customer gets when a message is refused for its length.
TOO_LONG_RESPONSE: Final = "utter_channel_too_long"
