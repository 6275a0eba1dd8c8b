"""``python -m onescreen.serve app.py [options]``: ``streamlit run app.py [options]``, with the libraries
every page needs loaded before the server listens.

Streamlit imports a page's libraries in the first run that needs them: pandas, pyarrow and DuckDB took 0.5-1 s
of the first big-screen session after a start, on top of its queries (docs/benchmarks.md). The wall screen is
usually that first session. This imports them, then hands over to Streamlit's own command line (what the
``streamlit`` script runs), so every option works as it does with ``streamlit run``. ``make run``,
``make replicas``, the browser tests and the benchmarks start the dashboard this way.

Only third-party libraries are preloaded: OneScreen's own modules that create Streamlit caches when imported
(``onescreen.db``, ``onescreen.data``) must be imported inside the running server.

Before any of that, the process makes what it writes private to its user (``umask 077``: the warehouse, uploads,
rejects files, reports and the audit log are 0600 in 0700 folders; nothing outside this process reads them, nginx
in ``deploy/`` only relays HTTP), and removes upload folders older than two days (``onescreen.upload.prune_uploads``),
so files left by a session that never loaded go even if nobody uploads again.
"""

from __future__ import annotations

import importlib
import os
import sys

PRELOAD = ("numpy", "pandas", "pyarrow", "duckdb", "pydeck", "shapely")
PRIVATE_UMASK = 0o077


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    os.umask(PRIVATE_UMASK)
    from onescreen import upload   # creates no Streamlit cache

    upload.prune_uploads()
    for name in PRELOAD:
        importlib.import_module(name)
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
