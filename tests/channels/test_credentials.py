"""Channels with secrets are enabled only when their environment variables are set."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("credentials_script", ROOT / "scripts/credentials.py")
assert spec is not None and spec.loader is not None
credentials_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(credentials_script)

BASE = {"channels.rest.SafeRestInput": None, "channels.socketio.SafeSocketIOInput": {"session_persistence": True}}


def test_only_the_base_channels_without_secrets() -> None:
    assert credentials_script.effective_credentials(BASE, {}) == BASE


def test_teams_single_tenant_and_line() -> None:
    env = {
        "TEAMS_APP_ID": "app",
        "TEAMS_APP_PASSWORD": "secret",
        "TEAMS_TENANT_ID": "tenant",
        "LINE_CHANNEL_SECRET": "s",
        "LINE_CHANNEL_ACCESS_TOKEN": "t",
    }
    result = credentials_script.effective_credentials(BASE, env)
    assert result["channels.botframework.TeamsInput"] == {
        "app_id": "app",
        "app_password": "secret",
        "tenant_id": "tenant",
    }
    assert result["channels.line.LineInput"] == {"channel_secret": "s", "channel_access_token": "t"}


def test_a_half_configured_channel_stays_off() -> None:
    result = credentials_script.effective_credentials(BASE, {"TEAMS_APP_ID": "app", "LINE_CHANNEL_SECRET": " "})
    assert result == BASE


def test_written_file_is_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", "app")
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "secret")
    out = tmp_path / "creds.yml"
    assert credentials_script.main(["x", str(out)]) == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert "TeamsInput" in out.read_text(encoding="utf-8")


def test_rasa_built_in_rest_and_socketio_become_the_hardened_channels() -> None:
    base = {"rest": None, "socketio": {"session_persistence": True}}
    assert credentials_script.effective_credentials(base, {}) == BASE


def test_checked_in_credentials_use_the_hardened_channels() -> None:
    import yaml

    checked_in = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert set(checked_in) == {"channels.rest.SafeRestInput", "channels.socketio.SafeSocketIOInput"}
