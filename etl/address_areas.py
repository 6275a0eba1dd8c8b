"""Masking the addresses of a ticket export, once per distinct address, beside the staging SQL."""

from __future__ import annotations

import threading

import pyarrow as pa

from onescreen.masking import mask_address

# SQL: whether a row's address may hold its caller's name (张三家，东风路88号; 联系人欧阳测试) or the compound
# surname mask_address also hides (欧阳先生): both contain the name's first two characters. A name that
# starts with a space (Python's strip() removes more than trim()) is always a candidate. Such rows are few;
# their (address, caller_name) pairs are masked with the name, the rest once per distinct address.
CALLER_IN_ADDRESS = ("address is not null and length(caller_name) >= 2 and (contains(address, left(caller_name, 2)) "
                     "or regexp_matches(caller_name, '^[\\t-\\r\\x{1c}-\\x{20}\\x{85}\\p{Z}]'))")


class AddressAreas:
    """The masked area (``mask_address``) of every distinct address in ``stg_cells``, worked out in a
    background thread while the staging SQL runs, and of every (address, caller_name) pair whose
    address may hold the caller's name (:data:`CALLER_IN_ADDRESS`), masked with that name.

    The masking rule is Python (onescreen.masking) and the slowest step of a large load; DuckDB
    releases the GIL while it runs a statement, so both proceed at once. Start it once ``stg_cells``
    holds the cleaned cells; :meth:`table` waits for the result; :meth:`cancel` (a load that fails
    before) stops the thread at its next chunk.
    """

    CHUNK = 20_000

    def __init__(self, con, skip: str | None = None, addresses: str | None = None, callers: str | None = None):
        """``skip``: a temp table of ``row_no`` whose addresses are not needed (rows a reload leaves alone).
        ``addresses``: instead of ``stg_cells``, an SQL query of distinct non-null addresses (one column).
        ``callers``: with ``addresses``, an SQL query of the distinct (address, caller_name) pairs where
        :data:`CALLER_IN_ADDRESS` holds; none without it."""
        rows = f"stg_cells anti join {skip} using (row_no)" if skip else "stg_cells"
        # Kept as Arrow and turned into Python strings a chunk at a time: as Python lists, the 1.4M
        # distinct addresses of a 5M-row export and their masks took about 300 MB more.
        self.addresses: pa.ChunkedArray = con.sql(
            addresses or f"select distinct address from {rows} where address is not null").to_arrow_table().column(0)
        if callers is None and addresses is None and _has_caller_name(con):
            callers = f"select distinct address, caller_name from {rows} where {CALLER_IN_ADDRESS}"
        self.callers: pa.Table = con.sql(callers).to_arrow_table() if callers else \
            pa.table({"address": pa.array([], pa.string()), "caller_name": pa.array([], pa.string())})
        self.masked: list[pa.Array] = []
        self.caller_masked: list[pa.Array] = []
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mask-addresses", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for start in range(0, len(self.addresses), self.CHUNK):
                if self._stop.is_set():
                    return
                chunk = self.addresses.slice(start, self.CHUNK).to_pylist()
                self.masked.append(pa.array([mask_address(a) if a else None for a in chunk], pa.string()))
            for start in range(0, self.callers.num_rows, self.CHUNK):
                if self._stop.is_set():
                    return
                chunk = self.callers.slice(start, self.CHUNK)
                pairs = zip(chunk.column(0).to_pylist(), chunk.column(1).to_pylist())
                self.caller_masked.append(pa.array([mask_address(a, caller_name=c) if a else None for a, c in pairs],
                                                   pa.string()))
        except BaseException as error:  # re-raised in the loading thread by table()
            self.error = error

    def table(self) -> pa.Table:
        """``address`` -> ``address_area`` for every distinct address (waits for the thread)."""
        self._join()
        return pa.table({"address": self.addresses.cast(pa.string()),
                         "address_area": pa.chunked_array(self.masked, pa.string())})

    def caller_table(self) -> pa.Table:
        """(``address``, ``caller_name``) -> ``address_area`` where the address may hold the caller's name:
        it takes the place of :meth:`table`'s area for rows with that pair (waits for the thread)."""
        self._join()
        return pa.table({"address": self.callers.column(0).cast(pa.string()),
                         "caller_name": self.callers.column(1).cast(pa.string()),
                         "address_area": pa.chunked_array(self.caller_masked, pa.string())})

    def _join(self) -> None:
        self._thread.join()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()


def _has_caller_name(con) -> bool:
    """Whether ``stg_cells`` has a caller_name column (the hotline's and events' exports do)."""
    return "caller_name" in {row[0] for row in con.execute("describe stg_cells").fetchall()}
