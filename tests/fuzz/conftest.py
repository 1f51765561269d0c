"""Hypothesis profiles for the fuzz tests and the per-entry-point count of inputs tried.

Profiles (``FUZZ_PROFILE``, default ``ci``):

- ``ci``: bounded so ``make test`` stays quick (the numbers are in the README);
- ``long``: what ``make fuzz`` runs, many more examples per test.

``FUZZ_EXAMPLES=N`` overrides the number of examples of the in-process tests under
either profile; the live (real server) and one-shot subprocess passes run a fifth of it.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

ROOT = Path(__file__).resolve().parents[2]
PROFILE_EXAMPLES = {"ci": 120, "long": 3000}
PROFILE = os.environ.get("FUZZ_PROFILE", "ci")
if PROFILE not in PROFILE_EXAMPLES:
    raise pytest.UsageError(f"FUZZ_PROFILE must be one of {', '.join(PROFILE_EXAMPLES)}, not {PROFILE!r}")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or PROFILE_EXAMPLES[PROFILE])
LIVE_EXAMPLES = max(10, EXAMPLES // 5)

for name in PROFILE_EXAMPLES:
    settings.register_profile(
        name,
        max_examples=EXAMPLES,
        deadline=None,  # network round trips vary; hangs are caught by explicit timeouts instead
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
        database=DirectoryBasedExampleDatabase(str(ROOT / "results" / "hypothesis")),
        print_blob=True,
    )
settings.load_profile(PROFILE)

# Inputs sent to each entry point in this session (printed at the end).
TRIED: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TRIED:
        return
    terminalreporter.section(f"fuzz inputs tried (profile {PROFILE}, {EXAMPLES} examples per test)")
    for entry_point, count in sorted(TRIED.items()):
        terminalreporter.write_line(f"fuzz: {entry_point:<28} {count:>7} inputs")
    terminalreporter.write_line(f"fuzz: {'total':<28} {sum(TRIED.values()):>7} inputs")
