"""The two deployment profiles under load, behind one interface.

- ``single``: the embedded default — one ``rasa run`` and one action server on a SQLite
  file, started exactly as ``tests.live.Desk`` (and ``make run``) start them, on free
  ports; the customers talk to the Rasa server directly (there is no nginx in this profile).
- ``replicated``: ``scripts/prod.sh start`` (several ``rasa run`` replicas, the action
  server, PostgreSQL, a Redis lock store and nginx in front, under a supervisor); the
  customers talk to nginx.

Both leave ``processes.json`` (``[{"name", "pid", "port"}]``) in their state folder, the
list the sampler measures, and expose the base URL and the ``DATABASE_URL`` the verifier
reads.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROD_SH = ROOT / "scripts" / "prod.sh"


@dataclass
class Running:
    profile: str
    url: str
    database_url: str
    processes: list[dict[str, Any]]
    state: Path
    handle: Any = None  # tests.live.Desk for the single profile
    env: dict[str, str] = field(default_factory=dict)


def _write_processes(state: Path, processes: list[dict[str, Any]]) -> None:
    (state / "processes.json").write_text(json.dumps(processes, indent=2) + "\n", encoding="utf-8")


def start_single(model: str, state: Path, now: str) -> Running:
    """One Rasa server and one action server (tests.live.Desk) with their own SQLite file."""
    import tests.live as live

    state.mkdir(parents=True, exist_ok=True)
    desk = live.Desk(now, state)
    desk.start(model)
    try:
        desk.wait_ready()
    except BaseException:
        desk.stop()
        raise
    actions, rasa = desk.processes
    processes = [
        {"name": "rasa-1", "pid": rasa.pid, "port": desk.rasa_port},
        {"name": "actions", "pid": actions.pid, "port": desk.action_port},
    ]
    _write_processes(state, processes)
    return Running("single", desk.url, f"sqlite:///{state / 'desk.db'}", processes, state, handle=desk)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a shell-sourceable file (``export`` and quoting allowed)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, raw = line.partition("=")
        if not sep:
            continue
        parts = shlex.split(raw) if raw else [""]
        values[key.strip()] = parts[0] if parts else ""
    return values


def replicated_available() -> bool:
    return PROD_SH.exists()


def prod_env(state: Path, now: str, replicas: int, model: str) -> dict[str, str]:
    """Environment of ``scripts/prod.sh``: its own state folder, the frozen clock, the model,
    and a free port for every server (others may run the profile on its default ports)."""
    from tests.live import free_port

    ports: set[int] = set()

    def fresh() -> int:
        while (port := free_port()) in ports:
            pass
        ports.add(port)
        return port

    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        {
            "PROD_DIR": str(state),
            "PROD_PORT": str(fresh()),
            "RASA_REPLICAS": str(replicas),
            "PROD_RASA_PORTS": ",".join(str(fresh()) for _ in range(replicas)),
            "PROD_ACTION_PORT": str(fresh()),
            "PROD_PG_PORT": str(fresh()),
            "PROD_REDIS_PORT": str(fresh()),
            "PROD_MODEL": model,
            "DESK_NOW": now,
        }
    )
    return env


def start_replicated(model: str, state: Path, now: str, replicas: int, log: Path) -> Running:
    """``scripts/prod.sh start`` with its own state folder and ports; returns when healthy."""
    if not replicated_available():
        raise RuntimeError("scripts/prod.sh does not exist (yet): the replicated profile cannot run")
    state.mkdir(parents=True, exist_ok=True)
    env = prod_env(state, now, replicas, model)
    with log.open("ab") as out:
        completed = subprocess.run(
            ["bash", str(PROD_SH), "start"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=out, timeout=900
        )
    printed = completed.stdout.decode("utf-8", "replace").strip()
    if completed.returncode != 0:
        stop_replicated(env, log)
        raise RuntimeError(f"scripts/prod.sh start failed ({completed.returncode}); see {log}")
    values = read_env_file(state / "env")
    url = values.get("PROD_URL") or printed.splitlines()[-1].strip()
    processes = json.loads((state / "processes.json").read_text(encoding="utf-8"))
    return Running("replicated", url, values["DATABASE_URL"], processes, state, env=env)


def stop_replicated(env: dict[str, str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        subprocess.run(
            ["bash", str(PROD_SH), "stop"], cwd=ROOT, env=env, stdout=out, stderr=out, timeout=300, check=False
        )


def stop(running: Running, log: Path) -> None:
    if running.profile == "single":
        running.handle.stop()
    else:
        stop_replicated(running.env, log)
