"""``python -m pose``: the ``stretchcheck`` command line."""

import sys

from pose.cli import main

# Guarded: a module run as a script imports nothing twice when something spawns a process.
if __name__ == "__main__":
    sys.exit(main())
