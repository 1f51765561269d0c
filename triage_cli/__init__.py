"""Command-line tools: one-shot triage of text inquiries."""
