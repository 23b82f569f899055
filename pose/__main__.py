import sys

from pose.cli import main

sys.exit(main())
