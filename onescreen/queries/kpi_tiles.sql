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

-- The flags and rules for the tiles, and the current (c), previous (p) and year-ago (y) period's rates
-- row of this unit: one row each, all null when the unit has no row for that period. Plain left joins
-- from an anchor row rather than struct subqueries, so the same SQL runs on ClickHouse (onescreen.engine).
row_of as (
    select
        $period_start in (select period_start from loaded_periods) as c_loaded,
        $previous_start in (select period_start from loaded_periods) as p_loaded,
        $yoy_start in (select period_start from loaded_periods) as y_loaded,
        (select rules_json from meta) as rules_json
),

anchor as (
    select $period_start as c_start, $previous_start as p_start, $yoy_start as y_start
),

c as (select rates.* from anchor left join rates on rates.period_start = anchor.c_start),

p as (select rates.* from anchor left join rates on rates.period_start = anchor.p_start),

y as (select rates.* from anchor left join rates on rates.period_start = anchor.y_start),

tiles as (
    select 1 as sort_order, 'ticket_count' as metric, 'count' as unit,
        case when c_loaded then coalesce(c.ticket_count, 0) end::double as value,
        case when p_loaded then coalesce(p.ticket_count, 0) end::double as previous_value,
        case when y_loaded then coalesce(y.ticket_count, 0) end::double as yoy_value,
        null::double as target, null::double as numerator, null::double as denominator
    from row_of cross join c cross join p cross join y
    union all
    select 2, 'response_rate', 'pct', c.response_rate, p.response_rate, y.response_rate,
        json_extract(rules_json, '$.targets.response_rate')::double,
        c.response_numerator::double, c.response_denominator::double
    from row_of cross join c cross join p cross join y
    union all
    select 3, 'resolution_rate', 'pct', c.resolution_rate, p.resolution_rate, y.resolution_rate,
        json_extract(rules_json, '$.targets.resolution_rate')::double,
        c.resolution_numerator::double, c.resolution_denominator::double
    from row_of cross join c cross join p cross join y
    union all
    select 4, 'satisfaction_rate', 'pct', c.satisfaction_rate, p.satisfaction_rate, y.satisfaction_rate,
        json_extract(rules_json, '$.targets.satisfaction_rate')::double,
        c.satisfaction_numerator::double, c.satisfaction_denominator::double
    from row_of cross join c cross join p cross join y
    union all
    select 5, 'on_time_rate', 'pct', c.on_time_rate, p.on_time_rate, y.on_time_rate, null,
        c.on_time_numerator::double, c.on_time_denominator::double
    from row_of cross join c cross join p cross join y
    union all
    select 6, 'closure_rate', 'pct', c.closure_rate, p.closure_rate, y.closure_rate, null,
        c.closure_numerator::double, c.closure_denominator::double
    from row_of cross join c cross join p cross join y
    union all
    select 7, 'composite_score', 'score', c.composite_score, p.composite_score, y.composite_score, null,
        null, null
    from row_of cross join c cross join p cross join y
    union all
    select 8, 'overdue_count', 'count',
        case when c_loaded then coalesce(c.overdue_count, 0) end::double,
        case when p_loaded then coalesce(p.overdue_count, 0) end::double,
        case when y_loaded then coalesce(y.overdue_count, 0) end::double,
        null, c.overdue_count::double, c.open_count::double
    from row_of cross join c cross join p cross join y
    union all
    select 9, 'near_deadline_count', 'count',
        case when c_loaded then coalesce(c.near_deadline_count, 0) end::double,
        case when p_loaded then coalesce(p.near_deadline_count, 0) end::double,
        case when y_loaded then coalesce(y.near_deadline_count, 0) end::double,
        null, c.near_deadline_count::double, c.open_count::double
    from row_of cross join c cross join p cross join y
    union all
    select 10, 'avg_handling_workdays', 'workdays', c.avg_handling_workdays, p.avg_handling_workdays,
        y.avg_handling_workdays, null, c.handling_workdays_sum::double, c.handling_count::double
    from row_of cross join c cross join p cross join y
    union all
    select 11, 'property_complaint_count', 'count',
        case when c_loaded then coalesce(c.property_complaint_count, 0) end::double,
        case when p_loaded then coalesce(p.property_complaint_count, 0) end::double,
        case when y_loaded then coalesce(y.property_complaint_count, 0) end::double,
        null, null, null
    from row_of cross join c cross join p cross join y
    union all
    select 12, 'whistle_count', 'count',
        case when c_loaded then coalesce(c.whistle_count, 0) end::double,
        case when p_loaded then coalesce(p.whistle_count, 0) end::double,
        case when y_loaded then coalesce(y.whistle_count, 0) end::double,
        null, c.whistle_closed_count::double, c.whistle_count::double
    from row_of cross join c cross join p cross join y
    union all
    select 13, 'consultation_count', 'count',
        case when c_loaded then coalesce(c.consultation_count, 0) end::double,
        case when p_loaded then coalesce(p.consultation_count, 0) end::double,
        case when y_loaded then coalesce(y.consultation_count, 0) end::double,
        null, c.consultation_closed_count::double, c.consultation_count::double
    from row_of cross join c cross join p cross join y
),

final as (
    select
        sort_order,
        metric,
        unit,
        value,
        previous_value,
        value - previous_value as change,
        100.0 * (value - previous_value) / nullif(previous_value, 0) as change_pct,
        yoy_value,
        value - yoy_value as yoy_change,
        100.0 * (value - yoy_value) / nullif(yoy_value, 0) as yoy_change_pct,
        target,
        value - target as gap_to_target,
        numerator,
        denominator
    from tiles
)

select * from final
order by sort_order
