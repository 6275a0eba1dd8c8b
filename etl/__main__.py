"""Entry point: ``python -m etl COMMAND`` (see ``python -m etl --help``)."""

import os
import sys

from etl.cli import main

# What a load, a report or a publish writes (the warehouse, rejects files, reports, snapshots, the audit
# log) holds citizens' data: readable by this user only, as the dashboard's server makes its files.
os.umask(0o077)
sys.exit(main())
