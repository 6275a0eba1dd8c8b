-- 未落格 within a community (and within a street), 社区不明 within a street: the tickets of the area a breakdown is
-- narrowed to (`parent`) that none of the units it lists holds, as the area's row less the sum of the units' rows
-- (counts, numerators and denominators add up), so the rows of a breakdown add up to the area's total. mart_rates
-- keeps a single district-wide row of such tickets per level (it cannot light, rank or be listed inside an area).
-- Included after the query's `parent_totals` (the area's row per window_name: 'c' this period or range, 'p' the one
-- before) and `area_units` (the level's rows listed, per window_name), both with the count columns below.
unit_totals as (
    select
        window_name,
        sum(ticket_count)::bigint as ticket_count,
        sum(response_numerator)::bigint as response_numerator,
        sum(response_denominator)::bigint as response_denominator,
        sum(resolution_numerator)::bigint as resolution_numerator,
        sum(resolution_denominator)::bigint as resolution_denominator,
        sum(satisfaction_numerator)::double as satisfaction_numerator,
        sum(satisfaction_denominator)::bigint as satisfaction_denominator,
        sum(on_time_numerator)::bigint as on_time_numerator,
        sum(on_time_denominator)::bigint as on_time_denominator,
        sum(closure_numerator)::bigint as closure_numerator,
        sum(closure_denominator)::bigint as closure_denominator,
        sum(overdue_count)::bigint as overdue_count,
        sum(near_deadline_count)::bigint as near_deadline_count,
        sum(handling_count)::bigint as handling_count,
        sum(handling_workdays_sum)::double as handling_workdays_sum,
        sum(property_complaint_count)::bigint as property_complaint_count,
        sum(awaiting_callback_count)::bigint as awaiting_callback_count
    from area_units
    where unit_code <> 'unassigned'
    group by window_name
),

remainder_counts as (
    select
        t.window_name,
        'unassigned' as unit_code,
        case when $level = 'grid' then '未落格' else '社区不明' end as unit_name,
        t.street_code,
        t.community_code,
        cast(null as varchar) as grid_code,
        t.ticket_count - coalesce(u.ticket_count, 0) as ticket_count,
        t.response_numerator - coalesce(u.response_numerator, 0) as response_numerator,
        t.response_denominator - coalesce(u.response_denominator, 0) as response_denominator,
        t.resolution_numerator - coalesce(u.resolution_numerator, 0) as resolution_numerator,
        t.resolution_denominator - coalesce(u.resolution_denominator, 0) as resolution_denominator,
        t.satisfaction_numerator - coalesce(u.satisfaction_numerator, 0) as satisfaction_numerator,
        t.satisfaction_denominator - coalesce(u.satisfaction_denominator, 0) as satisfaction_denominator,
        t.on_time_numerator - coalesce(u.on_time_numerator, 0) as on_time_numerator,
        t.on_time_denominator - coalesce(u.on_time_denominator, 0) as on_time_denominator,
        t.closure_numerator - coalesce(u.closure_numerator, 0) as closure_numerator,
        t.closure_denominator - coalesce(u.closure_denominator, 0) as closure_denominator,
        t.overdue_count - coalesce(u.overdue_count, 0) as overdue_count,
        t.near_deadline_count - coalesce(u.near_deadline_count, 0) as near_deadline_count,
        t.handling_count - coalesce(u.handling_count, 0) as handling_count,
        t.handling_workdays_sum - coalesce(u.handling_workdays_sum, 0) as handling_workdays_sum,
        t.property_complaint_count - coalesce(u.property_complaint_count, 0) as property_complaint_count,
        t.awaiting_callback_count - coalesce(u.awaiting_callback_count, 0) as awaiting_callback_count
    from parent_totals as t
    left join unit_totals as u on u.window_name = t.window_name
),

-- Only an area with such tickets gets the row (most communities have none), as the district gets its 未落格 row.
remainder as (
    select *
    from remainder_counts
    where ticket_count <> 0
        or response_denominator + resolution_denominator + satisfaction_denominator + on_time_denominator
            + closure_denominator + near_deadline_count + handling_count <> 0
),
