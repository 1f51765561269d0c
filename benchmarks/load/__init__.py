"""Load benchmark: concurrent simulated customers, each a full Japanese triage conversation.

``python -m benchmarks.load`` (``make load``) — see benchmarks/load/README.md.
"""
