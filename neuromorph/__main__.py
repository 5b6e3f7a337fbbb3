"""``python -m neuromorph`` runs the command line."""

from .ui.cli import run

run()
