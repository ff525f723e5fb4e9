"""`python -m rig ...` runs the `rig` command (what `rig.cli:main` is for the script)."""

import sys

from rig.cli import main

sys.exit(main())
