"""load.md and load.png from the report dict of ``python -m benchmarks.load``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SERVER_ORDER = ("nginx", "rasa-1", "rasa-2", "rasa-3", "rasa-4", "actions", "postgres", "redis", "supervisor")


def _ms(value: Any) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _num(value: Any, fmt: str = "{:.1f}") -> str:
    return "–" if value is None else fmt.format(value)


def _servers(run: dict[str, Any]) -> list[str]:
    names = [n for n in run["resources"] if n != "load-generator"]
    return sorted(names, key=lambda n: (SERVER_ORDER.index(n) if n in SERVER_ORDER else len(SERVER_ORDER), n))


def results_table(report: dict[str, Any]) -> str:
    lines = [
        "| profile | N | finished | messages | errors | p50 ms | p95 ms | p99 ms | msg/s | conv/s "
        "| CPU % (per process) | machine CPU % (others) | peak RSS MB (per process) | verification |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|",
    ]
    for run in report["runs"]:
        latency = run["latency_ms"]
        resources = run["resources"]
        servers = _servers(run)
        cpu = ", ".join(f"{n} {resources[n]['cpu_percent']:.0f}" for n in servers)
        cpu += f"; generator {resources['load-generator']['cpu_percent']:.0f}" if "load-generator" in resources else ""
        rss = ", ".join(f"{n} {resources[n]['peak_rss_mb']:.0f}" for n in servers)
        whole = run.get("machine_cpu") or {}
        machine = f"{whole['cpu_percent']:.0f} ({whole['others_cpu_percent']:.0f})" if "cpu_percent" in whole else "–"
        if len(run.get("attempts") or ()) > 1:
            machine += f", quietest of {len(run['attempts'])} runs"
        ver = run["verification"]
        verdict = (
            "ok (0 violations)"
            if not ver["total_violations"]
            else "**FAILED: " + ", ".join(f"{k} {v}" for k, v in ver["violations"].items() if v) + "**"
        )
        errors = str(run["errors"])
        if run["errors_by_kind"]:
            errors += " (" + ", ".join(f"{k} {v}" for k, v in run["errors_by_kind"].items()) + ")"
        lines.append(
            f"| {run['profile']} | {run['users']} | {run['conversations_finished']}/{run['customers']} "
            f"| {run['messages_answered']} | {errors} | {_ms(latency['p50'])} | {_ms(latency['p95'])} "
            f"| {_ms(latency['p99'])} | {_num(run['messages_per_s'])} | {_num(run['conversations_per_s'], '{:.2f}')} "
            f"| {cpu} | {machine} | {rss} | {verdict} |"
        )
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    machine = report["machine"]
    settings = report["settings"]
    lines = [
        "# Load benchmark",
        "",
        f"- **Date:** {report['date']}; model `{report['model']}`"
        + (f"; repo at {machine['git_commit']}" if machine.get("git_commit") else ""),
        f"- **Machine:** {machine['cpu_model']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM, "
        f"{machine['os']}; Python {machine['python']}",
        f"- **Load:** each of N customers runs one whole conversation (kinds in turn: "
        f"{', '.join(settings['conversation_kinds'])}) with a think time of "
        f"{settings['think_s'][0]:g}–{settings['think_s'][-1]:g} s, starting within {settings['ramp_s']:g} s; "
        f"request timeout {settings['request_timeout_s']:g} s, run deadline {settings['deadline_s']:g} s; "
        f"clock frozen at {settings['clock']}.",
        f'- **Note:** {report["note"]} Other users of the machine: "machine CPU %" is the whole machine over '
        "the run (100 % = one core, 200 % = both), in brackets the part no process of the benchmark used. "
        "Latency is per message (REST request → replies). "
        "msg/s and conv/s are over the whole run, think time included: with few customers they measure "
        "the offered load, not the capacity.",
        "- **Errors:** non-200, timeouts, connection errors and replies that are not what the script expects "
        "(empty, or missing the expected text); a customer stops at its first error.",
        "- **Verification:** every tracker (SQL tracker store) and the intake tickets after each run — lost, "
        "duplicated, reordered, unanswered or interleaved events; exactly one ticket per finished conversation.",
        *(
            [
                f"- **Merged:** the {', '.join(report['merged_from']['profiles'])} rows are from the run of "
                f"{report['merged_from']['date']} (`--merge`)."
            ]
            if report.get("merged_from") and report["merged_from"].get("profiles")
            else []
        ),
        "",
        results_table(report),
        "",
    ]
    if report.get("skipped"):
        lines += ["**Not run:**", ""]
        lines += [
            f"- {s['profile']}{' N=' + s['users'] if s.get('users') else ''}: {s['reason']}" for s in report["skipped"]
        ]
        lines.append("")
    failures = [r for r in report["runs"] if r["verification"]["total_violations"]]
    for run in failures:
        lines += [f"### Verification failures: {run['profile']} N={run['users']}", ""]
        lines += [f"- {example}" for example in run["verification"]["examples"]]
        lines.append("")
    return "\n".join(lines)


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = report["runs"]
    profiles = sorted({r["profile"] for r in runs}, key=lambda p: ("single", "replicated").index(p))
    colours = {"single": "#1f77b4", "replicated": "#d62728"}
    figure, (latency_axis, throughput_axis, cpu_axis) = plt.subplots(1, 3, figsize=(15, 4.8))
    for profile in profiles:
        mine = sorted((r for r in runs if r["profile"] == profile), key=lambda r: r["users"])
        users = [r["users"] for r in mine]
        for key, style in (("p50", "-"), ("p95", "--"), ("p99", ":")):
            values = [r["latency_ms"][key] or float("nan") for r in mine]
            latency_axis.plot(users, values, style, marker="o", color=colours[profile], label=f"{profile} {key}")
        throughput_axis.plot(
            users, [r["messages_per_s"] or 0 for r in mine], "-", marker="o", color=colours[profile], label=profile
        )
        servers_cpu = [sum(v["cpu_percent"] for n, v in r["resources"].items() if n != "load-generator") for r in mine]
        generator_cpu = [r["resources"].get("load-generator", {}).get("cpu_percent", 0) for r in mine]
        cpu_axis.plot(users, servers_cpu, "-", marker="o", color=colours[profile], label=f"{profile}: servers")
        cpu_axis.plot(users, generator_cpu, ":", marker="x", color=colours[profile], label=f"{profile}: generator")
        others = [(r.get("machine_cpu") or {}).get("others_cpu_percent", float("nan")) for r in mine]
        cpu_axis.plot(users, others, "-.", marker="s", color=colours[profile], alpha=0.5, label=f"{profile}: others")
    latency_axis.set(title="Latency per message", xlabel="concurrent customers (N)", ylabel="ms")
    latency_axis.set_yscale("log")
    throughput_axis.set(
        title="Throughput (answered messages/s)", xlabel="concurrent customers (N)", ylabel="messages/s"
    )
    cpu_axis.set(title="CPU, sum over processes (100 % = 1 core)", xlabel="concurrent customers (N)", ylabel="%")
    cpu_axis.axhline(100 * (report["machine"]["cores"] or 2), color="grey", linewidth=0.8, linestyle="--")
    counts = sorted({r["users"] for r in runs})
    for axis in (latency_axis, throughput_axis, cpu_axis):
        axis.set_xticks(counts)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7)
    machine = report["machine"]
    figure.suptitle(
        f"Load benchmark · {report['date'][:10]} · {machine['cpu_model']}, {machine['cores']} cores "
        "(generator on the same cores)",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def readme_table(report: dict[str, Any]) -> str:
    """The compact table for the project README."""
    lines = [
        "| profile | N | finished | errors | p50 / p95 / p99 per message | msg/s | conv/s "
        "| CPU % (Rasa · actions · PostgreSQL) | peak RSS MB (Rasa · actions) | others' CPU % | violations |",
        "|---|---:|---:|---:|---|---:|---:|---|---|---:|---:|",
    ]
    for run in report["runs"]:
        latency = run["latency_ms"]
        res = run["resources"]
        rasa = [n for n in res if n.startswith("rasa-")]
        cpu = " + ".join(f"{res[n]['cpu_percent']:.0f}" for n in rasa) + f" · {res['actions']['cpu_percent']:.0f}"
        cpu += f" · {res['postgres']['cpu_percent']:.0f}" if "postgres" in res else " · –"
        rss = " + ".join(f"{res[n]['peak_rss_mb']:,.0f}" for n in rasa) + f" · {res['actions']['peak_rss_mb']:.0f}"
        others = (run.get("machine_cpu") or {}).get("others_cpu_percent")
        lines.append(
            f"| {run['profile']} | {run['users']} | {run['conversations_finished']}/{run['customers']} "
            f"| {run['errors']} "
            f"| {_ms(latency['p50'])} / {_ms(latency['p95'])} / {_ms(latency['p99'])} ms "
            f"| {_num(run['messages_per_s'])} | {_num(run['conversations_per_s'], '{:.2f}')} | {cpu} | {rss} "
            f"| {_num(others, '{:.0f}')} | {run['verification']['total_violations']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/load/results/load.json", encoding="utf-8") as handle:
        print(readme_table(json.load(handle)))
