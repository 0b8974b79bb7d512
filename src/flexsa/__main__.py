"""``python -m flexsa`` runs the command line."""

from flexsa.cli import main

main()
