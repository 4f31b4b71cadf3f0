"""`python -m firehouse.cli`, as the `firehouse` script."""

import sys

from firehouse.cli import main

sys.exit(main())
