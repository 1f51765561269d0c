"""CPU and memory of the servers during a run, read from /proc every ~0.5 s.

Each named process of ``processes.json`` is sampled together with all its descendants
(a supervisor's or nginx's workers, Rasa's sub-processes) except those that are named
processes themselves (each counted once, under its own name): CPU time (utime+stime) and
resident memory of the whole tree. Reported per process: mean CPU % over the run (100 % =
one core) and in the busiest sampling interval, CPU seconds, peak RSS of the tree as
sampled, and the kernel's own high-water mark (VmHWM) of the main pid, which also catches
a peak between two samples. With a supervisor's processes.json as ``source``, a restarted
process is followed to its new pid and the restart counted.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Named:
    name: str
    pid: int


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, cpu ticks, rss pages) of one pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            raw = handle.read()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()  # the command name may contain spaces
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21])


def _all_stats() -> dict[int, tuple[int, int, int]]:
    stats: dict[int, tuple[int, int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                stats[int(entry)] = stat
    return stats


def tree(root: int, stats: dict[int, tuple[int, int, int]], stop: frozenset[int] = frozenset()) -> set[int]:
    """``root`` and its descendants, not descending into the pids in ``stop`` (other named
    processes: the single profile's servers are children of the benchmark process)."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    stack = [root]
    while stack:
        pid = stack.pop()
        if pid in found or pid not in stats or (pid != root and pid in stop):
            continue
        found.add(pid)
        stack.extend(children.get(pid, ()))
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, all cores (/proc/stat)."""
    with open("/proc/stat", encoding="utf-8") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def vm_hwm_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


@dataclass
class _Track:
    first_ticks: dict[int, int] = field(default_factory=dict)  # per pid, when first seen
    last_ticks: dict[int, int] = field(default_factory=dict)
    peak_rss_bytes: int = 0
    peak_hwm_mb: float | None = None
    samples: int = 0
    alive: bool = True
    previous_at: float | None = None
    peak_cpu_percent: float = 0.0  # the busiest interval between two samples
    pids: list[int] = field(default_factory=list)  # main pids in order: more than one = restarted


class Sampler:
    """Samples the given processes in a background thread between start() and stop()."""

    def __init__(self, processes: list[Named], interval_s: float = 0.5, source: Path | None = None) -> None:
        """``source``: processes.json to re-read at every sample (a supervisor rewrites it
        when it restarts a process: the new pid is followed under the same name)."""
        self.processes = list(processes)
        self.interval_s = interval_s
        self.source = source
        self.tracks = {p.name: _Track(pids=[p.pid]) for p in processes}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._started = 0.0
        self._stopped = 0.0
        self._machine_start = (0, 0)
        self._machine_stop = (0, 0)

    def start(self) -> None:
        self._machine_start = machine_ticks()
        self._started = time.monotonic()
        self.sample()
        self._thread.start()

    def stop(self) -> dict[str, dict[str, Any]]:
        self._stop.set()
        self._thread.join(timeout=10)
        self.sample()
        self._stopped = time.monotonic()
        self._machine_stop = machine_ticks()
        return self.summary()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def _refresh(self) -> None:
        if self.source is None:
            return
        try:
            listed = json.loads(self.source.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # being rewritten: the next sample reads it
        current = {str(e.get("name")): e.get("pid") for e in listed if isinstance(e, dict)}
        for index, process in enumerate(self.processes):
            pid = current.get(process.name)
            if isinstance(pid, int) and pid > 0 and pid != process.pid:
                self.processes[index] = Named(process.name, pid)
                self.tracks[process.name].pids.append(pid)

    def sample(self) -> None:
        self._refresh()
        at = time.monotonic()
        stats = _all_stats()
        roots = frozenset(p.pid for p in self.processes)
        for process in self.processes:
            track = self.tracks[process.name]
            pids = tree(process.pid, stats, roots)
            track.alive = bool(pids)
            if not pids:
                continue
            track.samples += 1
            rss = 0
            delta = 0
            for pid in pids:
                _, ticks, pages = stats[pid]
                track.first_ticks.setdefault(pid, ticks)
                delta += ticks - track.last_ticks.get(pid, ticks)
                track.last_ticks[pid] = ticks
                rss += pages * PAGE
            if track.previous_at is not None and at - track.previous_at >= 0.2:
                track.peak_cpu_percent = max(track.peak_cpu_percent, 100.0 * delta / TICKS / (at - track.previous_at))
            track.previous_at = at
            track.peak_rss_bytes = max(track.peak_rss_bytes, rss)
            hwm = vm_hwm_mb(process.pid)
            if hwm is not None:
                track.peak_hwm_mb = max(track.peak_hwm_mb or 0.0, hwm)

    def summary(self) -> dict[str, dict[str, Any]]:
        wall = max(self._stopped - self._started, 1e-9)
        result: dict[str, dict[str, Any]] = {}
        for process in self.processes:
            track = self.tracks[process.name]
            ticks = sum(track.last_ticks[pid] - track.first_ticks[pid] for pid in track.last_ticks)
            cpu_s = ticks / TICKS
            result[process.name] = {
                "pid": process.pid,
                "cpu_s": round(cpu_s, 2),
                "cpu_percent": round(100.0 * cpu_s / wall, 1),
                "cpu_percent_peak": round(track.peak_cpu_percent, 1),
                "peak_rss_mb": round(track.peak_rss_bytes / 2**20, 1),
                "vm_hwm_mb": None if track.peak_hwm_mb is None else round(track.peak_hwm_mb, 1),
                "processes_seen": len(track.last_ticks),
                "restarts": len(track.pids) - 1,
                "samples": track.samples,
                "alive_at_end": track.alive,
            }
        return result

    def machine(self) -> dict[str, float]:
        """The whole machine's CPU over the run (100 % = one core) and the part of it that
        none of the sampled processes used: other users of the machine."""
        busy = self._machine_stop[0] - self._machine_start[0]
        total = self._machine_stop[1] - self._machine_start[1]
        cores = os.cpu_count() or 1
        machine = 100.0 * cores * busy / total if total > 0 else 0.0
        ours = sum(entry["cpu_percent"] for entry in self.summary().values())
        return {"cpu_percent": round(machine, 1), "others_cpu_percent": round(max(machine - ours, 0.0), 1)}
