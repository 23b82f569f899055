"""``python -m pose``: the ``stretchcheck`` command line."""

import sys

from pose.cli import main

# Guarded: pose extraction's worker processes are spawned and import the main module again.
if __name__ == "__main__":
    sys.exit(main())
