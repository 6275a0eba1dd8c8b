-- The tiles shared by kpi_tiles and kpi_tiles_range, included after the query's own CTEs `meta` (the
-- one-row mart_meta with rules_json) and `periods`: one row per window (period 'c' current, 'p'
-- previous, 'y' a year earlier) with `loaded` (the district has data then) and the columns of a
-- mart_rates row. Each tile: value, previous and year-ago values, changes, target, numerator and
-- denominator, in the order the pages show them.
c as (
    select * from periods where period = 'c'
),

-- Whether a window is still settling (未结清): more than 1% of its tickets are in hand and not yet due. Its
-- on-time and closure rates, handling time, overdue and near-deadline counts then still move as those
-- tickets close (an unfinished week looks better than a finished one: only the quick ones are closed),
-- so a change against it is shown without calling it better or worse. Likewise its resolution and
-- satisfaction rates (and the composite score built on them) while more than 1% of its tickets still wait
-- for their callback (回访未完: in hand, or closed within the rules' callback window and not called back).
settling as (
    select
        max(case when period = 'c' then coalesce(awaiting_callback_count, 0) end) as awaiting_callback_count,
        max(case when period = 'c' then coalesce(awaiting_callback_count, 0)
            > 0.01 * coalesce(ticket_count, 0) end) as current_callback_settling,
        max(case when period = 'p' then coalesce(awaiting_callback_count, 0)
            > 0.01 * coalesce(ticket_count, 0) end) as previous_callback_settling,
        max(case when period = 'c' then coalesce(open_count, 0) - coalesce(overdue_count, 0) end) as pending_count,
        max(case when period = 'c' then coalesce(open_count, 0) - coalesce(overdue_count, 0)
            > 0.01 * coalesce(ticket_count, 0) end) as current_settling,
        max(case when period = 'p' then coalesce(open_count, 0) - coalesce(overdue_count, 0)
            > 0.01 * coalesce(ticket_count, 0) end) as previous_settling
    from periods
),

-- The tiles in order: one row each (a union of constants, cheap to plan).
metrics as (
    select 1 as sort_order, 'ticket_count' as metric, 'count' as unit
    union all select 2, 'response_rate', 'pct'
    union all select 3, 'resolution_rate', 'pct'
    union all select 4, 'satisfaction_rate', 'pct'
    union all select 5, 'on_time_rate', 'pct'
    union all select 6, 'closure_rate', 'pct'
    union all select 7, 'composite_score', 'score'
    union all select 8, 'overdue_count', 'count'
    union all select 9, 'near_deadline_count', 'count'
    union all select 10, 'avg_handling_workdays', 'workdays'
    union all select 11, 'property_complaint_count', 'count'
    union all select 12, 'whistle_count', 'count'
    union all select 13, 'consultation_count', 'count'
),

-- Each tile's figure in each period: one CASE over the metrics (a union of 13 selects of the same
-- joins, as this was first written, took longer to plan than to run).
figures as (
    select metrics.metric, periods.period,
        case metrics.metric
            when 'ticket_count' then case when periods.loaded then coalesce(periods.ticket_count, 0) end::double
            when 'response_rate' then periods.response_rate::double
            when 'resolution_rate' then periods.resolution_rate::double
            when 'satisfaction_rate' then periods.satisfaction_rate::double
            when 'on_time_rate' then periods.on_time_rate::double
            when 'closure_rate' then periods.closure_rate::double
            when 'composite_score' then periods.composite_score::double
            when 'overdue_count' then case when periods.loaded then coalesce(periods.overdue_count, 0) end::double
            when 'near_deadline_count' then case when periods.loaded then coalesce(periods.near_deadline_count, 0) end::double
            when 'avg_handling_workdays' then periods.avg_handling_workdays::double
            when 'property_complaint_count' then case when periods.loaded then coalesce(periods.property_complaint_count, 0) end::double
            when 'whistle_count' then case when periods.loaded then coalesce(periods.whistle_count, 0) end::double
            when 'consultation_count' then case when periods.loaded then coalesce(periods.consultation_count, 0) end::double
        end as figure
    from metrics cross join periods
),

tiles as (
    select
        metrics.sort_order,
        metrics.metric,
        metrics.unit,
        max(figures.figure) filter (where figures.period = 'c') as value,
        max(figures.figure) filter (where figures.period = 'p') as previous_value,
        max(figures.figure) filter (where figures.period = 'y') as yoy_value,
        case metrics.metric
            when 'response_rate' then json_extract(rules_json, '$.targets.response_rate')::double
            when 'resolution_rate' then json_extract(rules_json, '$.targets.resolution_rate')::double
            when 'satisfaction_rate' then json_extract(rules_json, '$.targets.satisfaction_rate')::double
        end as target,
        case metrics.metric
            when 'response_rate' then c.response_numerator::double
            when 'resolution_rate' then c.resolution_numerator::double
            when 'satisfaction_rate' then c.satisfaction_numerator::double
            when 'on_time_rate' then c.on_time_numerator::double
            when 'closure_rate' then c.closure_numerator::double
            when 'overdue_count' then c.overdue_count::double
            when 'near_deadline_count' then c.near_deadline_count::double
            when 'avg_handling_workdays' then c.handling_workdays_sum::double
            when 'whistle_count' then c.whistle_closed_count::double
            when 'consultation_count' then c.consultation_closed_count::double
        end as numerator,
        case metrics.metric
            when 'response_rate' then c.response_denominator::double
            when 'resolution_rate' then c.resolution_denominator::double
            when 'satisfaction_rate' then c.satisfaction_denominator::double
            when 'on_time_rate' then c.on_time_denominator::double
            when 'closure_rate' then c.closure_denominator::double
            when 'overdue_count' then c.open_count::double
            when 'near_deadline_count' then c.open_count::double
            when 'avg_handling_workdays' then c.handling_count::double
            when 'whistle_count' then c.whistle_count::double
            when 'consultation_count' then c.consultation_count::double
        end as denominator
    from metrics
    inner join figures on figures.metric = metrics.metric
    cross join meta
    cross join c
    group by all
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
        denominator,
        settling.pending_count,
        settling.awaiting_callback_count,
        -- The measures that wait for tickets to close, and those that wait for their callbacks; the others
        -- (counts received, response rates) are final once the window has ended.
        -- (cast: ClickHouse gives a comparison as UInt8, which would reach the workbook as 1/0, not 是/否)
        cast((metric in ('on_time_rate', 'closure_rate', 'overdue_count', 'near_deadline_count', 'avg_handling_workdays')
                and coalesce(settling.current_settling, false))
            or (metric in ('resolution_rate', 'satisfaction_rate', 'composite_score')
                and coalesce(settling.current_callback_settling, false)) as boolean) as is_provisional,
        cast((metric in ('on_time_rate', 'closure_rate', 'overdue_count', 'near_deadline_count', 'avg_handling_workdays')
                and coalesce(settling.previous_settling, false))
            or (metric in ('resolution_rate', 'satisfaction_rate', 'composite_score')
                and coalesce(settling.previous_callback_settling, false)) as boolean) as is_previous_provisional
    from tiles
    cross join settling
)

select * from final
order by sort_order
