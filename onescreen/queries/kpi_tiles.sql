-- One row per KPI for one unit and period: value, previous period, same period last year, change,
-- target, numerator and denominator. Counts are 0 (not null) when the period lies within the loaded
-- periods (the district's first to last) but has no ticket of this unit, even none at all (a quiet week
-- between two busy ones: 受理量 0, not unknown); a period before the first load, or after the last, gives null
-- (kpi_tiles_range's rule for a range).
with

rates as (
    select *
    from mart_rates
    where period_type = $period_type
        and level = $scope_level
        and unit_code = $scope_code
),

loaded_span as (
    select min(period_start) as first_start, max(period_start) as last_start
    from mart_rates
    where period_type = $period_type and level = 'district'
),

meta as (
    select rules_json from mart_meta
),

-- The current (c), previous (p) and year-ago (y) period asked for.
wanted as (
    select 'c' as period, $period_start as wanted_start
    union all select 'p', $previous_start
    union all select 'y', $yoy_start
),

-- Each wanted period's rates row of this unit (all null when the unit has none), and whether it lies
-- within the loaded periods. Plain joins, so the same SQL runs on ClickHouse (onescreen.engine).
periods as (
    select wanted.period,
        wanted.wanted_start >= loaded_span.first_start and wanted.wanted_start <= loaded_span.last_start as loaded,
        rates.*
    from wanted
    cross join loaded_span
    left join rates on rates.period_start = wanted.wanted_start
),

{{include parts/kpi_tiles_figures.sql}}
