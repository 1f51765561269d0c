"""Intake tickets: storage, contact validation, PII masking, webhook delivery and the operator view.

Plain Python (SQLAlchemy, requests, matplotlib) — no Rasa imports, so the action
server, the command line and the tests share one implementation.
"""
