"""Pure business rules of the Professional Support desk.

Nothing in this package imports Rasa: calendar, severity, reception, contracts and
scope are plain Python so they can be tested and reused on their own (the chat
actions, the one-shot triage command and the tests all call the same functions).
"""
