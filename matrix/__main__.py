"""``python -m matrix`` runs the command line."""

import sys

from matrix.cli import main

sys.exit(main())
