"""Masking the addresses of a ticket export, once per distinct address, beside the staging SQL."""

from __future__ import annotations

import threading

import pyarrow as pa

from onescreen.masking import mask_address


class AddressAreas:
    """The masked area (``mask_address``) of every distinct address in ``stg_cells``, worked out in a
    background thread while the staging SQL runs.

    The masking rule is Python (onescreen.masking) and the slowest step of a large load; DuckDB
    releases the GIL while it runs a statement, so both proceed at once. Start it once ``stg_cells``
    holds the cleaned cells; :meth:`table` waits for the result; :meth:`cancel` (a load that fails
    before) stops the thread at its next chunk.
    """

    CHUNK = 20_000

    def __init__(self, con, skip: str | None = None, addresses: str | None = None):
        """``skip``: a temp table of ``row_no`` whose addresses are not needed (rows a reload leaves alone).
        ``addresses``: instead of ``stg_cells``, an SQL query of distinct non-null addresses (one column)."""
        rows = f"stg_cells anti join {skip} using (row_no)" if skip else "stg_cells"
        # Kept as Arrow and turned into Python strings a chunk at a time: as Python lists, the 1.4M
        # distinct addresses of a 5M-row export and their masks took about 300 MB more.
        self.addresses: pa.ChunkedArray = con.sql(
            addresses or f"select distinct address from {rows} where address is not null").to_arrow_table().column(0)
        self.masked: list[pa.Array] = []
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
        except BaseException as error:  # re-raised in the loading thread by table()
            self.error = error

    def table(self) -> pa.Table:
        """``address`` -> ``address_area`` for every distinct address (waits for the thread)."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        return pa.table({"address": self.addresses.cast(pa.string()),
                         "address_area": pa.chunked_array(self.masked, pa.string())})

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()
