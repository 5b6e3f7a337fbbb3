"""``python -m neuromorph`` runs the command line."""

import sys

from .ui.cli import main

sys.exit(main())
