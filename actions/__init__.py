"""Custom actions of the Professional Support triage assistant (rasa-sdk).

One module per concern; all business decisions are delegated to ``support_rules``.
"""
