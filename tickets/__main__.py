"""``python -m tickets`` — see tickets/cli.py."""

import sys

from tickets.cli import main

sys.exit(main())
