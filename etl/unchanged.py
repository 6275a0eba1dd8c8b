"""Ticket rows a reload can leave alone: the same cells, turned into a row by the same code and places.

Weekly exports overlap: most rows of a reload are tickets already stored exactly as the file has
them. Each stored ticket keeps ``source_hash``, a hash of the cells it was made from together with
:func:`transform_digest` (the code of staging, placement and masking, DuckDB's and Python's version,
and the grids, compounds, communities and streets it was placed among). A staged row whose hash
equals its ticket's ``source_hash`` would become exactly the stored row again, so it is neither
parsed, placed, masked nor written: it counts as unchanged. Everything else (a new ticket, a changed
cell, a row stored before this column existed, a load after the places or the code changed) goes the
whole way, and the upsert's ``row_hash`` comparison decides as before.

Every check on the file's cells still runs on every row (required fields, duplicates, unknown
values); the checks on parsed values cannot fail for such a row, since the same cells passed them
when the stored row was written. A hash collision (64 bits, for one ticket number) is the only way a
changed row could be taken for unchanged.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path

import duckdb

from etl.coords import configured_systems

ROOT = Path(__file__).resolve().parent.parent
# The code that decides how a ticket's cells become its stored row.
CODE = [ROOT / "etl" / name for name in ("staging.py", "load_tickets.py", "unchanged.py", "address_areas.py", "geo.py", "coords.py",
                                         "fields.py", "sql/macros.sql")] + [ROOT / "onescreen" / "masking.py"]
# The places a ticket is placed among, by the columns placement reads.
PLACES = {
    "dim_grids": "grid_code, grid_name, community_code, community_name, street_code, street_name, geometry_geojson",
    "dim_compounds": "compound_code, compound_name, grid_code, community_code",
    "dim_communities": "community_code, community_name, street_code",
    "dim_streets": "street_code, street_name",
}


def transform_digest(con) -> str:
    """SHA-256 over everything besides a row's own cells that decides how it is stored."""
    digest = hashlib.sha256()
    for path in CODE:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    digest.update(f"duckdb {duckdb.__version__} python {platform.python_version()}".encode())
    # The coordinate system the file's points are converted from (a changed setting converts every row again).
    digest.update(f"points {configured_systems()[0]}".encode())
    for table, columns in PLACES.items():  # small tables (hundreds of rows)
        rows = con.execute(f"select {columns} from {table} order by all").fetchall()
        digest.update(table.encode() + b"\0" + repr(rows).encode("utf-8"))
    return digest.hexdigest()


def find_unchanged(con, feed: str, fields: list[str], mapped: list[str] | None = None) -> str:
    """Hash every row of ``stg_cells`` into ``stg_source_hash`` (row_no, source_hash) and list the rows
    whose ticket is stored with that hash in ``stg_unchanged`` (row_no, ticket_id); return its name.

    ``mapped``: the fields the file has a column for (default: all). They are part of the hash: a cell
    of an absent column keeps the stored value (etl.load_tickets.keep_absent_fields), an empty cell of a
    column empties it, so the same cells with and without that column are two different rows."""
    present = ",".join(f for f in fields if mapped is None or f in mapped)
    con.execute(
        f"create or replace temp table stg_source_hash as select row_no, hash(?, ?, ?, {', '.join(fields)}) as source_hash "
        "from stg_cells",
        [transform_digest(con), feed, present],
    )
    con.execute(
        """create or replace temp table stg_unchanged as
        select h.row_no, t.ticket_id from stg_source_hash h join stg_cells c using (row_no)
        join fct_tickets t on t.ticket_id = c.ticket_id and t.source_hash = h.source_hash"""
    )
    return "stg_unchanged"
