"""``python -m etl``: load exports, build the demo district, check contracts, list and undo batches.

Each command's docstring is its ``--help``. Expected failures print ``错误：...`` and exit 1, never a
traceback; the library functions behind the commands are callable and testable without the CLI.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from etl.errors import LoadError
from onescreen import settings


def cmd_load(args) -> int:
    """python -m etl load data/exports/hotline_2025-10.csv --source hotline

    导入一个或多个导出文件（CSV：UTF-8/GBK/GB18030；XLSX；GeoJSON）到数据仓库。
    不指定 --source 时按表头自动识别来源类型；表头不在同义词表中时用 --map "表头=字段" 指定。
    默认整批导入：任何一行有问题都不写入任何数据；--skip-bad-rows 只导入没有问题的行，
    并把有问题的行连同原因写到输入文件旁的 *.rejected.csv。同一文件重复导入不会产生任何改动。
    """
    from etl.load import load_files, parse_overrides

    overrides = parse_overrides(args.map)
    report = load_files(
        [Path(p) for p in args.files], source=args.source, overrides=overrides, sheet=args.sheet,
        skip_bad_rows=args.skip_bad_rows, progress=_progress(args.quiet),
    )
    print_report(report)
    return 0


def print_report(report) -> None:
    """The summary of a load, one block per file, then the new as-of time."""
    for item in report.files:
        if item.status == "already_loaded":
            print(f"{item.file_name}：已在批次 {item.batch_id} 导入过，未做任何改动。")
            continue
        print(f"{item.file_name}（{item.source}，批次 {item.batch_id}）：读取 {item.rows_read:,} 行，新增 {item.inserted:,}，"
              f"更新 {item.updated:,}，未变 {item.unchanged:,}，拒收 {item.rejected:,}")
        for warning in item.warnings:
            print(f"  提示：{warning}")
    for warning in report.warnings:
        print(f"提示：{warning}")
    if report.as_of:
        print(f"数据截至 {report.as_of:%Y-%m-%d %H:%M}")


def cmd_demo(args) -> int:
    """python -m etl demo --seed 2025

    生成示范区（约 8 个街道、60 个社区、650 个网格、700 个小区、40 家物业企业、12 个月、25 万条以上工单），
    以真实导出的样子（GBK CSV 带标题行和合计行、XLSX、UTF-8 BOM、GeoJSON）写到 data/demo/，
    再走与用户文件完全相同的导入流程载入数据仓库。环境变量 ONESCREEN_DEMO_TICKETS 可改变工单数（测试用）。
    """
    from etl.demo import generate_demo
    from etl.load import load_files

    progress = _progress(args.quiet)
    out_dir = Path(args.out) if args.out else settings.DATA_DIR / "demo"
    out_dir.mkdir(parents=True, exist_ok=True)
    end_month = date.fromisoformat(args.end_month + "-01") if args.end_month else None
    n_tickets = int(os.environ.get("ONESCREEN_DEMO_TICKETS", args.tickets))
    files = generate_demo(out_dir, seed=args.seed, end_month=end_month, n_tickets=n_tickets, progress=progress)
    report = load_files([path for path, _ in files], progress=progress, loaded_by="demo")
    print_report(report)
    return 0


def cmd_check(args) -> int:
    """python -m etl check

    检查数据仓库是否满足数据约定：主键唯一且非空、枚举值合法、引用完整。全部通过时退出码为 0。
    """
    from etl import contracts
    from etl.warehouse import open_readonly

    con = open_readonly()
    if con is None:
        raise LoadError(f"错误：数据仓库 {settings.warehouse_path()} 不存在，请先运行 python -m etl demo 或导入文件。")
    failures = contracts.run(con)
    con.close()
    if failures:
        print("错误：数据约定检查未通过：", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print("数据约定检查全部通过。")
    return 0


def cmd_batches(args) -> int:
    """python -m etl batches

    列出导入批次：编号、时间、文件、来源、行数（读取/新增/更新/未变/拒收）和状态。
    """
    from etl.warehouse import open_readonly

    con = open_readonly()
    if con is None:
        print("数据仓库还不存在，没有导入批次。")
        return 0
    rows = con.execute(
        "select batch_id, loaded_at, file_name, source, rows_read, rows_inserted, rows_updated, rows_unchanged, "
        "rows_rejected, status from load_batches order by batch_id"
    ).fetchall()
    con.close()
    if not rows:
        print("还没有导入批次。")
        return 0
    print("批次  导入时间          来源         读取/新增/更新/未变/拒收       状态      文件")
    for r in rows:
        status = "已导入" if r[9] == "loaded" else "已撤销"
        print(f"{r[0]:>4}  {r[1]:%Y-%m-%d %H:%M}  {r[3]:<11}  {r[4]}/{r[5]}/{r[6]}/{r[7]}/{r[8]:<10}  {status}  {r[2]}")
    return 0


def cmd_rollback(args) -> int:
    """python -m etl rollback 3

    撤销一个导入批次：删除它新增的行，恢复它更新前的行，并重建汇总表。
    如果该批次的数据后来又被其他批次更新，需要先撤销后来的批次。
    """
    from etl.load import rollback

    restored = rollback(args.batch_id, progress=_progress(args.quiet))
    detail = "，".join(f"{table} {n} 行" for table, n in restored.items()) or "无数据行"
    print(f"已撤销批次 {args.batch_id}（删除/恢复：{detail}）。")
    return 0


def _progress(quiet: bool):
    if quiet:
        return lambda message: None
    return lambda message: print(message, file=sys.stderr, flush=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors, in the house format
        self.print_usage(sys.stderr)
        print(f"错误：{message}（用 --help 查看用法）", file=sys.stderr)
        sys.exit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m etl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def add(name, func):
        doc = func.__doc__
        sub = commands.add_parser(name, help=doc.splitlines()[2].strip(), description=doc,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(func=func)
        sub.add_argument("--quiet", action="store_true", help="不显示进度（用于定时任务）")
        return sub

    load = add("load", cmd_load)
    load.add_argument("files", nargs="+", help="导出文件（CSV/XLSX/GeoJSON）")
    load.add_argument("--source", choices=["hotline", "events", "grids", "compounds", "inspections"], help="来源类型；默认按表头识别")
    load.add_argument("--map", action="append", metavar="表头=字段", help="把文件中的表头对应到字段，可重复")
    load.add_argument("--sheet", help="XLSX 工作表名称；默认第一个")
    load.add_argument("--skip-bad-rows", action="store_true", help="只导入没有问题的行，问题行写入 *.rejected.csv")

    demo = add("demo", cmd_demo)
    demo.add_argument("--seed", type=int, default=2025, help="随机种子（相同种子生成相同数据）")
    demo.add_argument("--end-month", help="最后一个月，如 2025-11；默认本月")
    demo.add_argument("--tickets", type=int, default=260_000, help="工单数，默认 260000")
    demo.add_argument("--out", help="导出文件目录；默认 data/demo")

    add("check", cmd_check)
    add("batches", cmd_batches)
    rollback = add("rollback", cmd_rollback)
    rollback.add_argument("batch_id", type=int, help="批次编号（见 python -m etl batches）")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; expected failures print their message and return 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LoadError as error:
        text = str(error)
        print(text if text.startswith("错误：") else f"错误：{text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("错误：已中断，数据仓库保持原样。", file=sys.stderr)
        return 1
