"""Production profile: unit tests of its parts and fault tests of the running profile."""
