"""Input channels: hardened versions of Rasa's, and the desk's own.

When the Rasa server imports these channels (from ``credentials.yml``, before it loads
the model or connects the tracker store), ``channels.resilience`` adjusts two of Rasa's
failure paths: a polite Japanese answer instead of silence when the action server is
down, and ``pool_pre_ping`` for the PostgreSQL tracker store. Other importers (the
one-shot command, tests of the pure modules) do not pay for importing Rasa's core:
the wrappers are installed only when ``rasa.core.processor`` is already loaded, which
is the case in ``rasa run``.
"""

import sys as _sys

if "rasa.core.processor" in _sys.modules:
    from channels import resilience as _resilience

    _resilience.install()
