"""Write the effective Rasa credentials: credentials.yml plus the channels whose
secrets are in the environment.

Rasa fails to start when ``credentials.yml`` references an environment variable that
is not set, and secrets do not belong in files under version control. So the
checked-in ``credentials.yml`` holds the channels that need no secret (REST,
socket.io — Rasa's built-in ``rest``/``socketio`` keys are replaced by the hardened
``channels.rest.SafeRestInput``/``channels.socketio.SafeSocketIOInput``), and this
script adds

- Microsoft Teams (``channels.botframework.TeamsInput``) when ``TEAMS_APP_ID`` and
  ``TEAMS_APP_PASSWORD`` are set (``TEAMS_TENANT_ID`` for a single-tenant app;
  ``TEAMS_LOGIN_BASE`` / ``TEAMS_OPENID_METADATA_URL`` only to use other endpoints);
- LINE (``channels.line.LineInput``) when ``LINE_CHANNEL_SECRET`` and
  ``LINE_CHANNEL_ACCESS_TOKEN`` are set (``LINE_API_BASE`` to point it elsewhere).

    python scripts/credentials.py OUT.yml      # prints the enabled channels
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

OPTIONAL_CHANNELS: tuple[tuple[str, dict[str, str], dict[str, str]], ...] = (
    (
        "channels.botframework.TeamsInput",
        {"app_id": "TEAMS_APP_ID", "app_password": "TEAMS_APP_PASSWORD"},
        {
            "tenant_id": "TEAMS_TENANT_ID",
            # Only to point the channel at other endpoints (national clouds, tests).
            "login_base": "TEAMS_LOGIN_BASE",
            "openid_metadata_url": "TEAMS_OPENID_METADATA_URL",
        },
    ),
    (
        "channels.line.LineInput",
        {"channel_secret": "LINE_CHANNEL_SECRET", "channel_access_token": "LINE_CHANNEL_ACCESS_TOKEN"},
        {"api_base": "LINE_API_BASE"},
    ),
)


# Rasa's built-in channels and the hardened versions in channels/ that replace them
# (same URLs, payloads and answers; limits and checks in front): a credentials file
# copied from Rasa's docs still gets the hardened channel.
HARDENED_CHANNELS: dict[str, str] = {
    "rest": "channels.rest.SafeRestInput",
    "socketio": "channels.socketio.SafeSocketIOInput",
}


def effective_credentials(base: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """``base`` (built-in REST/socket.io replaced by the hardened channels) plus every
    optional channel whose required variables are all set."""
    result = {HARDENED_CHANNELS.get(str(name), name): config for name, config in base.items()}
    for channel, required, optional in OPTIONAL_CHANNELS:
        values = {key: env.get(var, "").strip() for key, var in required.items()}
        if not all(values.values()):
            continue
        values.update({key: env[var].strip() for key, var in optional.items() if env.get(var, "").strip()})
        result[channel] = values
    return result


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with (ROOT / "credentials.yml").open(encoding="utf-8") as handle:
        base = yaml.safe_load(handle) or {}
    credentials = effective_credentials(base, os.environ)
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.touch(mode=0o600, exist_ok=True)
    out.chmod(0o600)  # holds secrets
    out.write_text(yaml.safe_dump(credentials, allow_unicode=True, sort_keys=False), encoding="utf-8")
    print("channels: " + ", ".join(str(name).rsplit(".", 1)[-1] for name in credentials))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
