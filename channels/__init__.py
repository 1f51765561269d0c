"""Input channels: hardened versions of Rasa's, and the desk's own."""
