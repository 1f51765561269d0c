"""Rasa NLU components for Japanese: a SudachiPy tokenizer and an impact-cue extractor."""
