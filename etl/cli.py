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
from etl.fields import SOURCES
from onescreen import settings
from onescreen.rules import RulesError


def cmd_load(args) -> int:
    """python -m etl load data/demo/hotline_part1.csv --source hotline

    导入一个或多个导出文件（CSV：UTF-8/GBK/GB18030；XLSX；GeoJSON）到数据仓库。
    不指定 --source 时按表头自动识别来源类型；表头不在同义词表中时用 --map "表头=字段" 指定。
    默认整批导入：任何一行有问题都不写入任何数据；--skip-bad-rows 只导入没有问题的行，
    并把有问题的行连同原因写到输入文件旁的 *.rejected.csv。同一文件重复导入不会产生任何改动
    （示例中的文件由 python -m etl demo 生成，已导入过）。
    形如 04/11/2026 的日期，文件本身看不出日、月顺序时，按此前导入的同格式文件读取；都没有时用 --date-order 指定。
    工单文件中超过一半（且超过 50 行）的行写了网格、社区或街道，却都不在已导入的网格定义中、落不到本区域时（像是别的区域的导出），
    拒绝导入；确实要导入时加 --allow-unknown-places。
    """
    from etl.load import load_files, parse_overrides

    overrides = parse_overrides(args.map)
    report = load_files(
        [Path(p) for p in args.files], source=args.source, overrides=overrides, sheet=args.sheet,
        skip_bad_rows=args.skip_bad_rows, progress=_progress(args.quiet), date_order=args.date_order,
        allow_unknown_places=args.allow_unknown_places,
    )
    print_report(report)
    written = [item for item in report.files if item.status != "already_loaded"]
    if written:  # like an upload on the page: who loaded what, into which batches
        _audit("upload", detail="；".join(
            f"{item.file_name}（{_source_label(item)}，批次 {item.batch_id}）：读取 {item.rows_read:,} 行，新增 {item.inserted:,}，"
            f"更新 {item.updated:,}，拒收 {item.rejected:,}" for item in written),
            rows=sum(item.inserted + item.updated for item in written))
    return 0


def _audit(action: str, **event) -> None:
    """Record a command's change in the audit log; a log that cannot be written is said, not a traceback
    after a load or rollback that has already happened."""
    from onescreen import audit

    try:
        audit.record(action, user=_os_user(), role="cli", **event)
    except OSError as error:
        print(f"提示：已完成，但无法写入审计日志 {audit.audit_path()}（{error.strerror or error}）。", file=sys.stderr)


def _source_label(item) -> str:
    """The Chinese name of a file's kind (12345热线工单, 网格平台事件 ...), as the upload page says it."""
    return SOURCES[item.source].label if item.source in SOURCES else item.source


def print_report(report) -> None:
    """The summary of a load, one block per file, then the new as-of time."""
    for item in report.files:
        if item.status == "already_loaded":
            print(f"{item.label}：已在批次 {item.batch_id} 导入过，未做任何改动。")
            continue
        print(f"{item.file_name}（{_source_label(item)}，批次 {item.batch_id}）：读取 {item.rows_read:,} 行，新增 {item.inserted:,}，"
              f"更新 {item.updated:,}，未变 {item.unchanged:,}，拒收 {item.rejected:,}")
        for warning in item.warnings:
            print(f"  提示：{warning}")
    for warning in report.warnings:
        print(f"提示：{warning}")
    if report.as_of:
        print(f"数据截至 {report.as_of:%Y-%m-%d %H:%M}")


def cmd_demo(args) -> int:
    """python -m etl demo --seed 2025

    生成示范区（约 8 个街道、60 个社区、650 个网格、700 个小区、40 家物业企业、13 个月（一年加上年同月，可算同比）、25 万条以上工单），
    以真实导出的样子（GBK CSV 带标题行和合计行、XLSX、UTF-8 BOM、GeoJSON）写到 data/demo/，
    再走与用户文件完全相同的导入流程载入数据仓库。--end-month 为最后一个月（默认本月），--tickets 为工单数，
    --out 为导出文件目录；环境变量 ONESCREEN_DEMO_TICKETS 优先于 --tickets（测试用）。
    """
    from etl.demo import generate_demo
    from etl.load import load_files

    _refuse_a_missing_data_folder("示范数据不会写到那里")
    _refuse_a_warehouse_with_user_data()
    progress = _progress(args.quiet)
    out_dir = Path(args.out) if args.out else settings.DATA_DIR / "demo"
    out_dir.mkdir(parents=True, exist_ok=True)
    end_month = date.fromisoformat(args.end_month + "-01") if args.end_month else None
    n_tickets = int(os.environ.get("ONESCREEN_DEMO_TICKETS", args.tickets))
    files = generate_demo(out_dir, seed=args.seed, end_month=end_month, n_tickets=n_tickets, progress=progress)
    report = load_files([path for path, _ in files], progress=progress, loaded_by="demo")
    print_report(report)
    return 0


def cmd_init(args) -> int:
    """python -m etl init

    创建空的数据仓库（表结构、工作日历和空的汇总表），新部署的街道从这里开始导入自己的数据；数据仓库已存在时不做任何改动。
    设了 ONESCREEN_DATA_DIR 或 ONESCREEN_DB、数据仓库还不存在时，make run 先运行它（不生成示范区）；
    要看示范区，在另一个数据文件夹中运行 python -m etl demo。
    """
    from etl.refresh import create_empty

    _refuse_a_missing_data_folder("数据仓库不会建在那里")
    path = settings.warehouse_path()
    if not create_empty(path, progress=_progress(args.quiet)):
        print(f"数据仓库 {path} 已存在，未做任何改动。")
        return 0
    print(f"已创建空的数据仓库 {path}。导入本街道的数据：在“数据导入”页面先上传网格定义，再上传 12345 / 网格平台导出；"
          "或用 python -m etl load 导出文件。")
    return 0


def _refuse_a_missing_data_folder(refusal: str) -> None:
    """Nothing is written into a data folder someone named (ONESCREEN_DATA_DIR, ONESCREEN_DB's folder) that does not
    exist: an unmounted disk would otherwise get 26万 invented tickets (the demo) or an empty warehouse that the screen
    then shows as the street's own, and uploads land on the wrong disk. ``refusal`` says what was not done there.
    data/ of the checkout is made as needed."""
    missing = settings.missing_data_folders()
    if missing:
        name, folder = missing[0]
        raise LoadError(f"错误：{name} 指定的数据文件夹 {folder} 不存在，{refusal}。"
                        f"若这是新的数据文件夹，请先创建它（mkdir -p {folder}）；若它在另一块磁盘或网络存储上，请检查是否已挂载。")


def _refuse_a_warehouse_with_user_data() -> None:
    """The demo district is never loaded into a warehouse holding files someone loaded (a wrong ONESCREEN_DB or
    ONESCREEN_DATA_DIR would mix 25万 invented tickets into the real ones); a demo warehouse may be loaded again."""
    import duckdb

    from etl.warehouse import open_readonly

    con = open_readonly()
    if con is None:
        return
    try:
        n, example = con.execute("select count(*), min(file_name) from load_batches "
                                 "where coalesce(loaded_by, '') <> 'demo'").fetchone()
    except duckdb.Error:   # no load_batches: nothing was ever loaded into it
        return
    finally:
        con.close()
    if n:
        raise LoadError(f"错误：数据仓库 {settings.warehouse_path()} 已有导入的数据（{n} 个批次，如 {example}），"
                        "示范数据不会载入其中。请用环境变量 ONESCREEN_DB 指定另一个文件后再运行 python -m etl demo。")


def cmd_check(args) -> int:
    """python -m etl check

    检查数据仓库是否满足数据约定：主键唯一且非空、枚举值合法、引用完整。全部通过时退出码为 0。
    """
    from etl import contracts
    from etl.warehouse import open_readonly

    con = open_readonly()
    if con is None:
        raise LoadError(f"错误：数据仓库 {settings.warehouse_path()} 不存在，请先运行 {settings.missing_warehouse_advice()}。")
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
    _audit("rollback", detail=f"批次 {args.batch_id}", rows=sum(restored.values()))
    return 0


def cmd_refresh(args) -> int:
    """python -m etl refresh

    不导入文件，按现行规则文件（config/rules.toml 或 ONESCREEN_RULES 指定的文件）重建工作日历、汇总表并检查数据约定；程序升级后补上新增的列，地址脱敏规则变了时按原地址重算已存工单的地址区域（address_area）。
    修改业务规则（rules.toml）或日历补充（calendar_overrides.csv）后运行一次，页面即按新规则显示。
    --if-stale 只在需要时才做（make run 每次启动都这样检查，数据仓库已是最新时立即返回）。
    """
    from etl.refresh import refresh, stale_reasons

    reasons = stale_reasons()
    if args.if_stale and not reasons:
        return 0
    if not settings.warehouse_path().exists():
        raise LoadError(f"错误：数据仓库 {settings.warehouse_path()} 不存在，请先运行 {settings.missing_warehouse_advice()}。")
    for reason in reasons:
        print(f"需要重建：{reason}")
    as_of, warnings = refresh(progress=_progress(args.quiet))
    for warning in warnings:
        print(f"提示：{warning}")
    print("已重建汇总表" + (f"，数据截至 {as_of:%Y-%m-%d %H:%M}。" if as_of else "。"))
    return 0


def cmd_publish(args) -> int:
    """python -m etl publish

    把数据仓库发布为一个不可变的快照（工单按受理月份分区的 Parquet，zstd 压缩；汇总表和维表各一个文件），
    再原子地切换 CURRENT 指针；读快照的大屏（ONESCREEN_SNAPSHOTS）在下一次刷新时换到新快照，
    一个页面不会混用两个快照。快照目录为 --snapshots，默认 $ONESCREEN_SNAPSHOTS 或 data/snapshots。
    保留最近 --keep 个快照（默认 2）；--rollback 切回上一个；--list 列出。
    一个街道用内置的 DuckDB 文件即可，不需要发布。
    --clickhouse 同时载入 ClickHouse 服务器；加 --marts-in-engine 时只载入工单、维表和考核记录，
    汇总表由服务器按同一套 SQL 和快照里的规则自己生成（结果与 DuckDB 生成的相同），再切换。
    """
    from etl import publish
    from onescreen.engine import EngineError, meta_database

    folder = publish.snapshot_dir(args.snapshots)
    if args.clickhouse and (args.list or args.rollback):
        raise LoadError("错误：--clickhouse 只用于发布；ClickHouse 上的回退请再发布上一个快照（--list 查看）。")
    if args.marts_in_engine and not args.clickhouse:
        raise LoadError("错误：--marts-in-engine 只能与 --clickhouse 一起使用：它让 ClickHouse 服务器自己生成汇总表。")
    url = None
    if args.clickhouse:  # checked before anything is published
        try:
            url = settings.clickhouse_url() if args.clickhouse == "env" else args.clickhouse
            meta_database(url)
        except (ValueError, EngineError) as exc:
            raise LoadError(str(exc)) from exc
    if args.list:
        live = publish.current(folder)
        found = publish.snapshots(folder)
        if not found:
            print(f"{folder} 中还没有快照：运行 python -m etl publish 发布一个。")
        for snapshot in found:
            mark = "*" if live and snapshot.id == live.id else " "
            rows = snapshot.tables.get("fct_tickets", {}).get("rows", 0)
            size = sum(t["bytes"] for t in snapshot.tables.values()) / 1e6
            print(f"{mark} {snapshot.id}  工单 {rows:,} 条  {size:,.1f} MB  数据截至 {snapshot.manifest.get('as_of') or '—'}")
        return 0
    if args.rollback:
        snapshot = publish.rollback(folder)
        print(f"已切回快照 {snapshot.id}。")
        return 0
    snapshot = publish.publish(folder=folder, keep=args.keep, progress=_progress(args.quiet))
    rows = snapshot.tables["fct_tickets"]["rows"]
    size = sum(t["bytes"] for t in snapshot.tables.values()) / 1e6
    print(f"快照 {snapshot.id} 已发布：工单 {rows:,} 条，{size:,.1f} MB，用时 {snapshot.manifest['seconds']} 秒；"
          f"目录 {snapshot.path}")
    if url:
        database = publish.publish_clickhouse(snapshot, url, keep=args.keep, progress=_progress(args.quiet),
                                              marts_in_engine=args.marts_in_engine)
        print(f"已发布到 ClickHouse 数据库 {database}，读 ClickHouse 的大屏下次刷新时切换。")
    return 0


def cmd_report(args) -> int:
    """python -m etl report --week --out 周报.html

    生成例会材料：周报（ISO 周，周一至周日）、月报或季报，本期与上期、去年同期比较：受理量、三率、按期办结率、
    超期，红灯网格（转红、持续与恢复），物业红黑榜变动，增幅最大的分类和社区，最久未办结的工单（已脱敏），办结层级与吹哨，
    口径与数据截至。数字与页面上的相同（同一组命名查询）。尚未结束的一期（工单只到期末之前）与上期、去年同期的相同天数
    比较（如上月同期 11-01 至 11-10），材料中写明。
    不给 --week/--month/--quarter 或只写 --week 时为最后一个完整的周；只写 --month 或 --quarter 时为最后一个完整的
    月或季度。指定某一期写 --week 2025-W41、--month 2025-10 或 --quarter 2025Q4（须在已导入的数据范围内）。
    --format 为 html（单个文件，离线可打开，可 A4 打印）、xlsx（每部分一张工作表）、docx（Word，可编辑，不含图表）
    或 json；
    不给时按 --out 的扩展名，都没有时为 html。不给 --out 时写到 data/reports/。
    """
    from etl.warehouse import open_readonly
    from onescreen.queries import QueryError
    from onescreen.report import ReportError, build_report, data_span, default_period, parse_period
    from onescreen.report_render import FORMATS, file_name, render

    # Everything about the arguments is checked before the warehouse is opened.
    out = Path(args.out) if args.out else None
    suffix = out.suffix.lower().lstrip(".") if out else ""
    suffix = {"htm": "html"}.get(suffix, suffix)
    fmt = args.format or (suffix if suffix in FORMATS else "html")
    if args.format and suffix in FORMATS and suffix != args.format:
        raise LoadError(f"错误：--format {args.format} 与输出文件 {out.name} 的扩展名不一致；改扩展名或去掉 --format。")
    kind, value = next(((k, getattr(args, k)) for k in ("week", "month", "quarter") if getattr(args, k) is not None),
                       ("week", ""))
    try:
        period = parse_period(value, kind) if value else None
    except ReportError as error:
        raise LoadError(f"错误：--{kind} 的值有误：{error}") from None
    con = open_readonly()
    if con is None:
        raise LoadError(f"错误：数据仓库 {settings.warehouse_path()} 不存在，请先运行 {settings.missing_warehouse_advice()}。")
    try:
        if period is None:
            span = data_span(con)
            if span is None:
                raise LoadError(f"错误：数据仓库中还没有工单和指标：请先运行 {settings.no_data_advice()}。")
            period = default_period(span[0], kind, span[1])
        _progress(args.quiet)(f"正在汇总 {period.label}……")
        report = build_report(con, period, street_code=args.street, community_code=args.community)
        content = render(report, fmt)
    except (ReportError, QueryError) as error:
        raise LoadError(f"错误：{error}") from None
    finally:
        con.close()
    out = out or settings.DATA_DIR / "reports" / file_name(report, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, out)  # a scheduled job never leaves half a report under the real name
    print(f"已生成{report.meta['title']} {period.label}（{fmt.upper()}，{len(content) / 1024:,.0f} KB）：{out}")
    return 0


def cmd_users(args) -> int:
    """python -m etl users add wang --role staff --community S01C01

    管理登录用户（本地用户文件，环境变量 ONESCREEN_USERS，默认 config/users.json，设了 ONESCREEN_DATA_DIR 时为其中的 users.json，不进 git）：
    add 添加（--replace 重设密码、角色或区域），list 列出，remove 删除。
    角色：leader 领导（会议级，脱敏明细）、staff 社区/网格工作人员（可查看本辖区单张工单的完整电话，需理由）、
    analyst 数据分析员（导入、撤销）、admin 管理员（另可看审计日志）、kiosk 大屏（只看汇总）。
    区域默认什么都看不到：用 --district（全区）或 --street/--community/--grid（可重复）指定。
    --allow-unmasked-export 给 analyst/admin 未脱敏导出权限（每次导出都要填理由并记入审计日志）。
    密码从终端输入两次；脚本中用 --password-stdin 从标准输入读一行。
    没有用户文件时：刚 clone 下来（没设 ONESCREEN_DATA_DIR、ONESCREEN_DB）网页为演示模式；部署中（设了其中之一）网页
    只说明怎样建第一个账号，不显示数据，直到用 users add 建好它（ONESCREEN_USERS=demo 明确要求不登录时除外）。
    有用户文件但其中没有用户时网页仍要登录，没有人能登录。
    ONESCREEN_USERS 指定的文件不存在时网页拒绝打开（不是演示模式），直到用 users add 建好它。
    改密码：users add 用户名 --replace（角色、区域照旧写上）；该用户已打开的会话在下一次刷新时退出，要用新密码重新登录。
    大屏钥匙（大屏无人值守、服务器重启后自动登录）：python -m etl users key --help。
    各命令的说明：python -m etl users add --help（list、remove 同样）。
    """
    from onescreen import audit, users
    from onescreen.access import ROLE_LABELS

    if args.action == "key":
        return _cmd_users_key(args)
    try:
        path = users.users_path()
        if args.action == "list":
            rows = users.load(path)
            if not users.exists(path):
                if users.mode() == "missing":
                    print(f"还没有用户文件（{path}）：ONESCREEN_USERS 指定了它，网页拒绝打开（不是演示模式）；"
                          "用 python -m etl users add 用户名 --role admin --district 添加第一个用户。")
                elif users.mode() == "setup":
                    print(f"还没有用户文件（{path}）：这是一个部署（设了 ONESCREEN_DATA_DIR 或 ONESCREEN_DB），网页只说明怎样"
                          "建账号、不显示数据（不是演示模式）；用 python -m etl users add 用户名 --role admin --district "
                          "添加第一个用户。")
                else:
                    print(f"还没有用户文件（{path}）：网页以演示模式运行。")
                return 0
            if not rows:
                print(NO_USERS_LEFT.format(path=path))
                return 0
            for name, record in sorted(rows.items()):
                identity = users.identity_of(name, record)
                extra = "；可未脱敏导出" if identity.can("export_unmasked") else ""
                email = f"；{record['email']}" if record.get("email") else ""
                key = "；大屏钥匙（没有密码）" if users.is_key_account(record) else ""
                print(f"{name}\t{ROLE_LABELS[identity.role]}（{identity.role}）\t区域：{identity.scope.describe()}{extra}{email}{key}")
            return 0
        if args.action == "remove":
            users.remove_user(args.name, path)
            audit.record("user_remove", user=_os_user(), role="cli", detail=f"删除用户 {args.name}")
            print(f"已删除用户 {args.name}。")
            if not users.load(path):
                print("提示：" + NO_USERS_LEFT.format(path=path))
            return 0
        permissions = ["export_unmasked"] if args.allow_unmasked_export else []
        # Every argument is checked before a password is asked for.
        users.check_new_user(args.name, args.role, streets=args.street or (), communities=args.community or (),
                             grids=args.grid or (), district=args.district, permissions=permissions,
                             replace=args.replace, path=path)
        password = _read_password(args.password_stdin)
        record = users.add_user(args.name, args.role, password, streets=args.street or (),
                                communities=args.community or (), grids=args.grid or (), district=args.district,
                                permissions=permissions, email=args.email or "", display_name=args.display_name or "",
                                replace=args.replace, path=path)
    except users.UserError as error:
        raise LoadError(str(error)) from None
    identity = users.identity_of(args.name, record)
    audit.record("user_add", user=_os_user(), role="cli",
                 detail=f"{'重设' if args.replace else '添加'}用户 {args.name}：{identity.role}，{identity.scope.describe()}")
    print(f"已{'更新' if args.replace else '添加'}用户 {args.name}（{ROLE_LABELS[identity.role]}，区域：{identity.scope.describe()}）：{path}")
    if identity.scope.is_empty:
        print("提示：没有指定区域，这个用户登录后看不到任何数据；用 --district 或 --community 等指定后 --replace。")
    _warn_unknown_areas(args, "这个用户", "用 --replace 重设")
    return 0


def _cmd_users_key(args) -> int:
    """``users key add|list|remove|reset``: screen keys (大屏钥匙). The key is printed once and never stored,
    audited or logged: the users file keeps its sha256."""
    from onescreen import audit, users

    try:
        path = users.users_path()
        if args.key_action == "list":
            keys = users.key_accounts(path)
            if not keys:
                print(f"用户文件 {path} 中没有大屏钥匙；用 python -m etl users key add 名称 --district 添加。")
            for name, record in sorted(keys.items()):
                scope = users.identity_of(name, record).scope.describe()
                print(f"{name}\t区域：{scope}\t生成于 {record.get('key_created_at') or '—'}")
            return 0
        if args.key_action == "remove":
            users.remove_key(args.name, path)
            audit.record("user_remove", user=_os_user(), role="cli", detail=f"收回大屏钥匙 {args.name}")
            print(f"已收回大屏钥匙 {args.name}：用它登录的大屏在下一次刷新时退出，回到登录页。")
            return 0
        if args.key_action == "reset":
            key = users.reset_key(args.name, path)
            audit.record("user_add", user=_os_user(), role="cli", detail=f"重设大屏钥匙 {args.name}（旧钥匙作废）")
            print(f"已重设大屏钥匙 {args.name}：旧钥匙作废，用它登录的大屏在下一次刷新时退出。")
        else:
            key = users.add_key(args.name, streets=args.street or (), communities=args.community or (),
                                grids=args.grid or (), district=args.district, path=path)
            scope = users.identity_of(args.name, users.load(path)[args.name]).scope.describe()
            audit.record("user_add", user=_os_user(), role="cli", detail=f"添加大屏钥匙 {args.name}：{scope}")
            print(f"已添加大屏钥匙 {args.name}（大屏，区域：{scope}）：{path}")
            _warn_unknown_areas(args, "这块大屏", f"用 python -m etl users key remove {args.name} 收回后重新添加")
    except users.UserError as error:
        raise LoadError(str(error)) from None
    print("钥匙只显示这一次（用户文件只保存它的哈希），请抄进大屏的启动命令：")
    print(key)
    print(f"大屏地址：http://服务器地址:端口/?kiosk=1&carousel=60&key={key}"
          "（端口：make run 默认 8501，make replicas 或 nginx 之后按其设置）")
    return 0


def _warn_unknown_areas(args, who: str, fix: str) -> None:
    """Print a hint for each --street/--community/--grid code the warehouse does not have: ``who`` (这个用户, 这块大屏)
    would see none of its data; ``fix`` says how to correct the account."""
    for label, code in _unknown_area_codes(args):
        print(f"提示：数据仓库中没有编号为 {code} 的{label}，{who}看不到它的数据。请核对编号（见网格定义，"
              f"或在页面侧栏选好区域后地址栏中的 street_code、community_code、grid_code）后{fix}；"
              "若这个区域的网格定义还没导入，导入后即可生效。")


def _unknown_area_codes(args) -> list[tuple[str, str]]:
    """The --street/--community/--grid codes the warehouse's places do not have (none without a warehouse)."""
    from etl.warehouse import open_readonly

    asked = [("街道", "dim_streets", "street_code", args.street or ()),
             ("社区", "dim_communities", "community_code", args.community or ()),
             ("网格", "dim_grids", "grid_code", args.grid or ())]
    if not any(codes for *_, codes in asked):
        return []
    try:
        con = open_readonly()
    except Exception:  # noqa: BLE001  a locked or broken warehouse: no check rather than a failed users add
        return []
    if con is None:
        return []
    try:
        unknown = []
        for label, table, column, codes in asked:
            known = {c for (c,) in con.execute(f"select {column} from {table}").fetchall()}
            unknown += [(label, code) for code in codes if code not in known]
        return unknown
    finally:
        con.close()


# A users file with no users is not demo mode: the app still asks for a login that nobody can pass (an
# administrator removing users must never open the app to everyone).
NO_USERS_LEFT = "用户文件 {path} 中没有用户：网页需要登录，但还没有人能登录；用 python -m etl users add 添加。"

USERS_ADD_HELP = """python -m etl users add wang --role staff --community S01C01

添加一个登录用户；用户已存在时加 --replace 重设密码、角色或区域。密码从终端输入两次；脚本中用 --password-stdin
从标准输入读一行。角色见 python -m etl users --help。
区域默认什么都看不到：--district 为全区，--street/--community/--grid 可重复。编号是数据仓库 dim_streets、
dim_communities、dim_grids 中的编号，即网格定义导出里的街道、社区、网格编号（示范区为 S01、S01C01、S01C01G01
这样）；在页面侧栏选好街道、社区或网格后，地址栏里的 street_code、community_code、grid_code 就是它们。
--email 为单位统一身份认证（OIDC）登录时对应的邮箱，--display-name 为页面上显示的姓名。"""

USERS_KEY_HELP = """python -m etl users key add 指挥大厅 --district

大屏钥匙：大屏（指挥大厅的电视、拼接屏）无人值守，服务器重启、升级或网络中断后要能自己登录。
add 生成一把钥匙（只显示一次，用户文件只保存它的哈希）和只读的大屏账号（只看一屏总览和轮播的墙面页，
大屏级的汇总；不能打开工单明细、数据导入，不能下载，没有密码）；list 列出；remove 收回；reset 换一把新钥匙（旧的作废）。
大屏浏览器打开 http://服务器地址:8501/?kiosk=1&carousel=60&key=钥匙 即登录。"""

USERS_KEY_ADD_HELP = """python -m etl users key add 指挥大厅 --district

添加大屏钥匙并打印钥匙和大屏地址（钥匙只显示这一次）。区域必填：--district 为全区，
--street/--community/--grid 可重复（编号同 users add）。名称不能与已有用户重名。"""

USERS_KEY_LIST_HELP = """python -m etl users key list

列出大屏钥匙：名称、区域、生成时间（不显示钥匙，也无法显示：用户文件只保存哈希）。"""

USERS_KEY_REMOVE_HELP = """python -m etl users key remove 指挥大厅

收回大屏钥匙（记入审计日志）：用它登录的大屏在下一次刷新时退出，回到登录页。"""

USERS_KEY_RESET_HELP = """python -m etl users key reset 指挥大厅

换一把新钥匙（区域不变）并打印：旧钥匙作废，用它登录的大屏在下一次刷新时退出；把新地址填进大屏的启动命令。"""

USERS_LIST_HELP = """python -m etl users list

列出用户：用户名、角色、区域、是否可未脱敏导出、邮箱（不显示密码）。
没有用户文件时刚 clone 下来的网页为演示模式，部署中（设了 ONESCREEN_DATA_DIR 或 ONESCREEN_DB）网页只说明怎样建账号；
用户文件中没有用户时网页仍要登录，但没有人能登录。"""

USERS_REMOVE_HELP = """python -m etl users remove wang

删除一个用户（记入审计日志）。删除最后一个用户后网页不会回到演示模式：仍要登录，但没有人能登录，
用 python -m etl users add 再添加。"""


def _read_password(from_stdin: bool) -> str:
    import getpass

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise LoadError("错误：没有终端可以输入密码；在脚本中用 --password-stdin 从标准输入读入。")
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise LoadError("错误：两次输入的密码不一致，用户未改动。")
    return first


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "命令行"


def _progress(quiet: bool):
    if quiet:
        return lambda message: None
    return lambda message: print(message, file=sys.stderr, flush=True)


TOP_HELP = """python -m etl load data/demo/hotline_part1.csv

一屏数据仓库的命令行：导入导出文件、生成示范区、创建空的数据仓库、检查数据约定、查看和撤销导入批次、重建汇总表、
管理登录用户、生成周报、发布快照。每个命令用 python -m etl 命令 --help 查看用法和示例。"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors, in the house format
        self.print_usage(sys.stderr)
        print(f"错误：{message}（用 --help 查看用法）", file=sys.stderr)
        sys.exit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m etl", description=TOP_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    load.add_argument("--allow-unknown-places", action="store_true",
                      help="导入大部分网格编号、街道不在已导入网格定义中的工单文件（区域外的数据）")
    load.add_argument("--date-order", choices=["day", "month"],
                      help="形如 04/11/2026 的日期、文件看不出顺序时：day 为 日/月/年（11月4日），month 为 月/日/年（4月11日）")

    demo = add("demo", cmd_demo)
    demo.add_argument("--seed", type=int, default=2025, help="随机种子（相同种子生成相同数据）")
    demo.add_argument("--end-month", help="最后一个月，如 2025-11；默认本月")
    demo.add_argument("--tickets", type=int, default=260_000, help="工单数，默认 260000")
    demo.add_argument("--out", help="导出文件目录；默认 data/demo")

    add("init", cmd_init)
    add("check", cmd_check)
    add("batches", cmd_batches)
    rollback = add("rollback", cmd_rollback)
    rollback.add_argument("batch_id", type=int, help="批次编号（见 python -m etl batches）")
    refresh = add("refresh", cmd_refresh)
    refresh.add_argument("--if-stale", action="store_true", help="数据仓库已是最新时什么也不做")

    users_parser = add("users", cmd_users)
    actions = users_parser.add_subparsers(dest="action", required=True, parser_class=_Parser,
                                          help="add 添加或重设用户；list 列出；remove 删除")
    def action(name, summary, doc, within=actions):
        return within.add_parser(name, help=summary, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)

    def area_options(parser) -> None:  # the area a user or a screen key may see
        parser.add_argument("--district", action="store_true", help="全区")
        parser.add_argument("--street", action="append", metavar="街道编号", help="可看的街道，可重复")
        parser.add_argument("--community", action="append", metavar="社区编号", help="可看的社区，可重复")
        parser.add_argument("--grid", action="append", metavar="网格编号", help="可看的网格，可重复")

    user_add = action("add", "添加用户（--replace 重设）", USERS_ADD_HELP)
    user_add.add_argument("name", help="用户名（字母、数字、汉字、_ . @ -）")
    user_add.add_argument("--role", required=True, choices=["leader", "staff", "analyst", "admin", "kiosk"], help="角色")
    area_options(user_add)
    user_add.add_argument("--allow-unmasked-export", action="store_true", help="允许未脱敏导出（仅 analyst/admin，审计）")
    user_add.add_argument("--email", help="单位统一身份认证（OIDC）登录时对应的邮箱")
    user_add.add_argument("--display-name", help="页面上显示的姓名")
    user_add.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    user_add.add_argument("--replace", action="store_true", help="用户已存在时覆盖")
    action("list", "列出用户（不显示密码）", USERS_LIST_HELP)
    user_remove = action("remove", "删除用户", USERS_REMOVE_HELP)
    user_remove.add_argument("name", help="用户名")
    key_parser = action("key", "大屏钥匙：大屏自动登录（add、list、remove、reset）", USERS_KEY_HELP)
    key_actions = key_parser.add_subparsers(dest="key_action", required=True, parser_class=_Parser,
                                            help="add 添加；list 列出；remove 收回；reset 换新钥匙")
    key_add = action("add", "添加大屏钥匙（打印钥匙一次）", USERS_KEY_ADD_HELP, key_actions)
    key_add.add_argument("name", help="名称（字母、数字、汉字、_ . @ -），如大屏所在的位置")
    area_options(key_add)
    action("list", "列出大屏钥匙（不显示钥匙）", USERS_KEY_LIST_HELP, key_actions)
    action("remove", "收回大屏钥匙", USERS_KEY_REMOVE_HELP, key_actions).add_argument("name", help="名称")
    action("reset", "换一把新钥匙（旧的作废）", USERS_KEY_RESET_HELP, key_actions).add_argument("name", help="名称")

    publish_parser = add("publish", cmd_publish)
    publish_parser.add_argument("--snapshots", metavar="目录", help="快照目录；默认 $ONESCREEN_SNAPSHOTS 或 data/snapshots")
    publish_parser.add_argument("--keep", type=int, default=2, help="保留的快照个数（至少 2，默认 2）")
    publish_parser.add_argument("--clickhouse", nargs="?", const="env", metavar="URL",
                                help="同时载入 ClickHouse 服务器（默认 $ONESCREEN_CLICKHOUSE_URL）并切换")
    publish_parser.add_argument("--marts-in-engine", action="store_true",
                                help="与 --clickhouse 一起用：只载入工单和维表，由 ClickHouse 自己生成汇总表")
    what = publish_parser.add_mutually_exclusive_group()
    what.add_argument("--rollback", action="store_true", help="切回上一个快照")
    what.add_argument("--list", action="store_true", help="列出快照，* 为当前")

    report = add("report", cmd_report)
    which = report.add_mutually_exclusive_group()
    which.add_argument("--week", nargs="?", const="", metavar="2025-W41", help="ISO 周；默认最后一个完整的周")
    which.add_argument("--month", nargs="?", const="", metavar="2025-10", help="月报：月份；不带值为最后一个完整的月")
    which.add_argument("--quarter", nargs="?", const="", metavar="2025Q4", help="季报：季度；不带值为最后一个完整的季度")
    report.add_argument("--format", choices=["html", "xlsx", "docx", "json"], help="输出格式；默认按 --out 的扩展名，否则 html")
    report.add_argument("--out", metavar="PATH", help="输出文件；默认 data/reports/全区周报-2025-W41.html 之类")
    report.add_argument("--street", metavar="街道编号", help="只看一个街道（默认全区）")
    report.add_argument("--community", metavar="社区编号", help="只看一个社区")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; expected failures print their message and return 1."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (LoadError, RulesError) as error:
        # A rules file someone mistyped (config/rules.toml or $ONESCREEN_RULES) is theirs to fix, like a bad
        # export: RulesError names the file and the key; `make run` stops on this line rather than a traceback.
        text = str(error)
        print(text if text.startswith("错误：") else f"错误：{text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("错误：已中断，数据仓库保持原样。", file=sys.stderr)
        return 1
