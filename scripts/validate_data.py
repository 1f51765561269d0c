"""``rasa data validate`` with one known false positive resolved, failing on any other warning.

Rasa 3.6's validator reports every response that no story or rule names as "not used",
including responses that custom actions send with ``utter_message(response=...)``.
This script runs the same validator and accepts exactly those warnings whose response
is named as a string literal in ``actions/``, ``triage_cli/`` or ``channels/`` — and, the other way round, fails when an
action names a response the domain does not define. Every other warning fails.

It also checks the conversation's registry (``actions/registry.py``) against the domain:
every intent of the domain is classified there (starts, answers, interrupts or ends a
step), every name it uses exists, every FAQ has its response, and every interrupting
FAQ or out-of-scope intent has a rule for the middle of the triage form.
"""

from __future__ import annotations

import logging
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
_UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
# Responses that Rasa's own actions send: action_restart → utter_restart, the
# two-stage fallback's rephrase step → utter_ask_rephrase.
BUILT_IN_RESPONSES = frozenset({"utter_restart", "utter_ask_rephrase"})
_RESPONSE_LITERAL = re.compile(r"""["'](utter_[a-z0-9_]+)["']""")


def responses_named_in_actions() -> set[str]:
    names: set[str] = set()
    for path in [
        *(ROOT / "actions").glob("*.py"),
        *(ROOT / "triage_cli").glob("*.py"),
        *(ROOT / "channels").rglob("*.py"),
    ]:
        names.update(_RESPONSE_LITERAL.findall(path.read_text(encoding="utf-8")))
    return names - {"utter_action"}  # the key of Rasa's bot-event metadata, not a response


def registry_problems(domain: Any, importer: Any) -> list[str]:
    """``actions/registry.py`` against the domain and the rules."""
    sys.path.insert(0, str(ROOT))
    from actions import registry

    problems: list[str] = []
    intents = set(domain.intents)
    builtin = {"nlu_fallback", "out_of_scope", "back", "session_start", "restart"}  # Rasa's own
    classified = (
        registry.STARTING_INTENTS | registry.ANSWERING_INTENTS | registry.INTERRUPTING_INTENTS | registry.ENDING_INTENTS
    )
    for intent in sorted(intents - classified - builtin):
        problems.append(f"intent '{intent}' is not classified in actions/registry.py")
    for intent in sorted(classified - intents):
        problems.append(f"actions/registry.py names intent '{intent}', which the domain does not define")
    for intent, response in registry.FAQ_RESPONSES.items():
        if response not in domain.responses:
            problems.append(f"FAQ '{intent}' is answered by '{response}', which the domain does not define")
    for form, slots in registry.STEPS.items():
        if form not in domain.form_names:
            problems.append(f"actions/registry.py names form '{form}', which the domain does not define")
        for slot in slots:
            if slot not in {s.name for s in domain.slots}:
                problems.append(f"actions/registry.py names slot '{slot}', which the domain does not define")
    # Every interrupting FAQ / out-of-scope intent has a rule inside the triage form.
    in_form: set[str] = set()
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []:
            if {"active_loop": "triage_form"} not in (rule.get("condition") or []):
                continue
            in_form.update(str(step["intent"]) for step in rule.get("steps") or [] if "intent" in step)
    for intent in sorted((registry.FAQ_INTENTS | registry.OUT_OF_SCOPE_INTENTS) - in_form):
        problems.append(f"interrupting intent '{intent}' has no rule for the middle of the triage form")
    return problems


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def main() -> int:
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import EXPECTED_WARNINGS
    from rasa.validator import Validator

    collector = _Collect()
    logging.getLogger("rasa").addHandler(collector)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importer = TrainingDataImporter.load_from_config(
            config_path=str(ROOT / "config.yml"),
            domain_path=str(ROOT / "domain"),
            training_data_paths=[str(ROOT / "data")],
        )
        validator = Validator.from_importer(importer)
        ok = all(
            [
                validator.verify_domain_validity(),
                validator.verify_intents_in_stories(ignore_warnings=False),
                validator.verify_utterances_in_stories(ignore_warnings=False) or True,
                validator.verify_example_repetition_in_intents(ignore_warnings=False),
                validator.verify_story_structure(ignore_warnings=False),
                validator.verify_forms_in_stories_rules(),
                validator.verify_actions_in_stories_rules(),
                validator.verify_slot_mappings(),
                validator.verify_form_slots(),
            ]
        )
    named = responses_named_in_actions()
    domain_responses = set(validator.domain.responses)
    # A form asks for slot X with utter_ask_X; the validator does not know that.
    asked_by_forms = {f"utter_ask_{slot.name}" for slot in validator.domain.slots}
    expected = [re.compile(pattern) for _, pattern in EXPECTED_WARNINGS]
    problems: list[str] = []
    accepted = 0
    messages = [str(w.message) for w in caught] + collector.records
    for message in messages:
        if "is deprecated" in message or "SQLAlchemy" in message or "pkg_resources" in message:
            continue  # library deprecation notices, not data problems
        if any(pattern.match(message) for pattern in expected):
            continue  # warnings Rasa itself declares expected and hides
        match = _UNUSED.search(message)
        if match and match.group(1) in named | asked_by_forms | BUILT_IN_RESPONSES:
            accepted += 1
            continue
        problems.append(message)
    problems += registry_problems(validator.domain, importer)
    missing = sorted(n for n in named if n not in domain_responses and not n.endswith("_"))
    for name in missing:
        problems.append(f"actions/ sends response '{name}', which the domain (domain/) does not define")
    for problem in problems:
        print(f"WARNING: {problem}")
    print(
        f"validate: {len(problems)} problem(s); {accepted} response(s) used only by custom "
        f"actions accepted; {len(domain_responses)} responses in the domain"
    )
    return 0 if ok and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
