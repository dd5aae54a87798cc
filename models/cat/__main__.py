"""``python -m models.cat``: the command line (models/cat/cli.py)."""

import sys

from .cli import main

sys.exit(main())
