"""Time build_marts and the named queries on a synthetic warehouse of N tickets (default 5,000,000).

    python bench/bench_marts.py [N] [--db /tmp/bench_marts.duckdb]

The data is random but shaped like a district: 8 streets, 60 communities, 680 grids, 750 compounds,
40 companies, 3 years of tickets from 5 sources, 30 categories, 50 departments. Nothing is written
to the repository; the file is left at --db for a second look.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from etl.calendar import build_calendar  # noqa: E402
from etl.marts import build_marts  # noqa: E402
from onescreen.queries import run_query  # noqa: E402
from onescreen.rules import load_rules  # noqa: E402

FILL = """
insert into dim_grids (grid_code, grid_name, community_code, community_name, street_code, street_name, households)
select 'G' || g, '网格' || g, 'C' || (g % 60), '社区' || (g % 60), 'S' || (g % 60 % 8), '街道' || (g % 60 % 8), 300
from range(680) t(g);
insert into dim_companies select 'CO' || c, '物业' || c, 0 from range(40) t(c);
insert into dim_compounds (compound_code, compound_name, grid_code, company_id, households)
select 'P' || p, '小区' || p, 'G' || (p % 680), 'CO' || (p % 40), 100 + (p * 37) % 900 from range(750) t(p);
insert into fct_inspections (inspection_id, inspected_on, company_id, compound_code, score, row_hash, batch_id)
select 'I' || i, date '2023-01-01' + (i % 1000)::int, 'CO' || (i % 750 % 40), 'P' || (i % 750), 50 + (i * 7) % 50, 'h', 1
from range(30000) t(i);
insert into fct_tickets (ticket_id, feed, source, appeal_type, category_l1, received_at, dispatched_at, responded_at,
    resolved_at, due_at, callback_at, is_resolved, satisfaction, handling_level, is_whistle, department,
    street_code, community_code, grid_code, compound_code, placed_by, has_timeline_error, row_hash, batch_id, place_hash)
select
    'T' || i, 'hotline',
    ['12345热线', '网格员上报', '视频巡查', '随手拍', '110非警务'][1 + i % 5],
    ['咨询', '求助', '投诉', '举报', '建议'][1 + (i // 5) % 5],
    case when i % 10 = 0 then '物业管理' else '分类' || (i % 29) end,
    rcv,
    rcv + interval 20 minute,
    case when i % 5 <> 2 then rcv + to_minutes((i * 13) % 2000) end,
    case when i % 13 <> 0 then rcv + to_minutes((i * 31) % 40000) end,
    case when i % 3 = 0 then rcv + interval 10 day end,
    case when i % 2 = 0 and i % 13 <> 0 then rcv + interval 30 day end,
    case when i % 2 = 0 and i % 13 <> 0 then i % 7 <> 0 end,
    case when i % 2 = 0 and i % 13 <> 0 then ['满意', '基本满意', '不满意'][1 + i % 3] end,
    ['网格', '社区', '街道', '区'][1 + i % 4], i % 50 = 0, '部门' || (i % 50),
    'S' || (i % 680 % 60 % 8), 'C' || (i % 680 % 60), 'G' || (i % 680),
    case when i % 10 = 0 then 'P' || (i % 750) end,
    'grid_code', i % 1000 = 0, 'h', 1,
    case when i % 10 = 0 then md5_number_lower('compound|P' || (i % 750)) end  -- as etl.load_tickets.place_hash_sql
from (select i, timestamp '2023-01-01' + to_seconds((i * 97.0 / {n} * 365 * 86400 * 3 / 97)::bigint) as rcv
      from range({n}) t(i));
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=5_000_000)
    parser.add_argument("--db", default="/tmp/bench_marts.duckdb")
    args = parser.parse_args()
    Path(args.db).unlink(missing_ok=True)
    con = duckdb.connect(args.db)
    con.execute((ROOT / "etl" / "sql" / "schema.sql").read_text(encoding="utf-8"))
    started = time.perf_counter()
    con.execute(FILL.replace("{n}", str(args.n)))
    build_calendar(con, date(2022, 1, 1), date(2026, 12, 31))
    print(f"fill {args.n:,} tickets: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    counts = build_marts(con, load_rules())
    print(f"build_marts: {time.perf_counter() - started:.1f} s  {counts}")
    con.execute("checkpoint")
    month = con.execute("select max(period_start) from mart_rates where period_type = 'month'").fetchone()[0]
    calls = [("as_of", {}), ("kpi_tiles", {"period_start": month}), ("kpi_tiles", {"period_start": month, "street_code": "S1"}),
             ("rates_trend", {"period_type": "week"}), ("rates_breakdown", {"period_start": month, "level": "grid"}),
             ("grid_lights", {"period_start": month}), ("light_share_over_time", {"period_type": "week"}),
             ("company_rankings", {"month": month}), ("company_history", {"company_id": "CO1"}),
             ("overdue_list", {}), ("category_mix", {"period_start": month}),
             ("category_mix", {"period_start": month, "grid_code": "G1"}),
             ("escalation_shares", {"period_start": month}), ("handling_time_distribution", {"period_start": month})]
    for name, params in calls:
        started = time.perf_counter()
        rows = len(run_query(con, name, **params))
        print(f"  {name:28s} {1000 * (time.perf_counter() - started):7.1f} ms  {rows:6d} rows  {params}")


if __name__ == "__main__":
    main()
