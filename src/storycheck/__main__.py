"""``python -m storycheck`` runs the command line."""

from storycheck.cli import main

main()
