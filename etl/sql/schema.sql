-- The warehouse: a public contract, documented column by column in README.md.
-- Every table that a load changes carries batch_id; its *_hist twin keeps the rows a batch replaced,
-- so that `python -m etl rollback` can restore them exactly.

create table if not exists load_batches (
    batch_id        integer primary key,
    file_name       varchar not null,
    sha256          varchar not null,
    source          varchar not null,
    loaded_at       timestamp not null,
    loaded_by       varchar,
    encoding        varchar,
    sheet_name      varchar,
    header_row      integer,
    rows_read       integer not null,
    rows_inserted   integer not null,
    rows_updated    integer not null,
    rows_unchanged  integer not null,
    rows_rejected   integer not null,
    warnings        varchar,
    status          varchar not null,      -- loaded | rolled_back
    rolled_back_at  timestamp,
    date_order      varchar,               -- day | month: how its dates such as 04/11/2026 were read
    headers_sha     varchar,               -- sha256 of its header row: files of the same template
    exported_at     timestamp,             -- the export time its title rows state (导出时间：...), if any
    newest_event_at timestamp              -- a ticket file's newest event (to the minute): how recent an export it is
);

create table if not exists dim_streets (
    street_code     varchar primary key,
    street_name     varchar not null,
    batch_id        integer
);

create table if not exists dim_communities (
    community_code  varchar primary key,
    community_name  varchar not null,
    street_code     varchar not null,
    batch_id        integer
);

create table if not exists dim_grids (
    grid_code         varchar primary key,
    grid_name         varchar,
    community_code    varchar not null,
    community_name    varchar not null,
    street_code       varchar not null,
    street_name       varchar not null,
    grid_type         varchar,
    households        integer,
    population        integer,
    red_households    integer,
    yellow_households integer,
    green_households  integer,
    worker_name       varchar,
    geometry_geojson  varchar,
    centroid_lon      double,
    centroid_lat      double,
    batch_id          integer
);

create table if not exists dim_companies (
    company_id      varchar primary key,
    company_name    varchar not null,
    batch_id        integer
);

create table if not exists dim_compounds (
    compound_code   varchar primary key,
    compound_name   varchar not null,
    grid_code       varchar,
    community_code  varchar,
    street_code     varchar,
    company_id      varchar,
    households      integer,
    address         varchar,
    batch_id        integer
);

create table if not exists dim_calendar (
    calendar_date   date primary key,
    is_workday      boolean not null,
    is_holiday      boolean not null,
    holiday_name    varchar,
    workday_index   integer not null,   -- running count of working days up to and including this date
    calendar_source varchar not null    -- chinese_calendar | override | statutory (a holiday by law) | weekend_rule
);

create table if not exists fct_tickets (
    ticket_id          varchar primary key,
    feed               varchar not null,   -- hotline | events: which export it came from
    source             varchar not null,   -- 诉求来源: 12345热线 / 网格员上报 / 视频巡查 / 随手拍 / 110非警务 / ...
    appeal_type        varchar,            -- 咨询 / 求助 / 投诉 / 举报 / 建议
    category_l1        varchar,
    category_l2        varchar,
    received_at        timestamp not null,
    dispatched_at      timestamp,
    responded_at       timestamp,
    resolved_at        timestamp,
    due_at             timestamp,
    due_workdays       integer,            -- the export's deadline as working days, when it gave no date
    callback_at        timestamp,
    is_resolved        boolean,
    satisfaction       varchar,            -- 满意 / 基本满意 / 不满意
    status             varchar,
    handling_level     varchar,            -- 网格 / 社区 / 街道 / 区
    is_whistle         boolean,            -- 吹哨报到: departments called in
    is_consultation    boolean,            -- 联合会商: a joint consultation for unclear duties
    department         varchar,
    street_code        varchar,
    street_name        varchar,
    community_code     varchar,
    community_name     varchar,
    grid_code          varchar,
    compound_code      varchar,
    placed_by          varchar not null,   -- grid_code | coordinates | address | community | street | none
    address_area       varchar,            -- masked address: up to the house number or compound (no building, unit, floor or room)
    lon                double,
    lat                double,
    has_timeline_error boolean not null,
    row_hash           varchar not null,
    batch_id           integer not null,
    source_hash        ubigint,            -- the export cells and code it was made from: a reload skips an identical row (etl/unchanged.py)
    place_hash         ubigint             -- the place it names (compound, else address area) as a number: 高频问题 groups by it (etl/load_tickets.py)
);

create table if not exists ticket_pii (
    ticket_id      varchar primary key,
    caller_name    varchar,
    caller_phone   varchar,
    address        varchar,
    content        varchar,
    batch_id       integer not null
);

create table if not exists fct_inspections (
    inspection_id  varchar primary key,
    inspected_on   date not null,
    company_id     varchar not null,
    compound_code  varchar,
    item           varchar,
    score          double not null,
    inspector      varchar,
    row_hash       varchar not null,
    batch_id       integer not null
);

-- Facts about the warehouse as a whole, by name. address_area_code: the code (etl/refresh.py AREA_CODE)
-- that cut every stored address_area; `python -m etl refresh` recomputes them when it changed.
-- row_hash_version, inspection_row_hash_version: how the stored tickets' and inspections' row_hash were made
-- (ROW_HASH_VERSION of etl/load_tickets.py, etl/load_inspections.py); remade before a load when it differs.
-- inspection_id_version: how the ids of inspections without 考核编号 were derived (INSPECTION_ID_VERSION of
-- etl/load_inspections.py); remade before a load when it differs (etl.refresh.refresh_inspection_ids).
create table if not exists warehouse_meta (
    name           varchar primary key,
    value          varchar not null
);
