"""``python -m models.fashion``: the command line (models/fashion/cli.py)."""

import sys

from .cli import main

sys.exit(main())
