-- One row per KPI for one unit and period: value, previous period, same period last year, change,
-- target, numerator and denominator. Counts are 0 (not null) when the period has data elsewhere but
-- none for this unit; a period before the first load gives null.
with

rates as (
    select *
    from mart_rates
    where period_type = $period_type
        and level = $scope_level
        and unit_code = $scope_code
),

loaded_periods as (
    select distinct period_start
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

-- Each wanted period's rates row of this unit (all null when the unit has none), and whether the
-- district has any data for that period at all. Plain left joins, so the same SQL runs on ClickHouse
-- (onescreen.engine).
periods as (
    select wanted.period, wanted.wanted_start in (select period_start from loaded_periods) as loaded, rates.*
    from wanted
    left join rates on rates.period_start = wanted.wanted_start
),

{{include parts/kpi_tiles_figures.sql}}
