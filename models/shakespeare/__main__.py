"""``python -m models.shakespeare``: the command line (models/shakespeare/cli.py)."""

import sys

from .cli import main

sys.exit(main())
