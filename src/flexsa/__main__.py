"""``python -m flexsa`` runs the command line."""

from flexsa.cli import main

if __name__ == "__main__":
    main()
