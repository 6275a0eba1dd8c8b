"""Entry point: ``python -m etl COMMAND`` (see ``python -m etl --help``)."""

import sys

from etl.cli import main

sys.exit(main())
