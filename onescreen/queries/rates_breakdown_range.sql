-- Every unit of one level over a custom date range (received from $period_start up to $period_end,
-- exclusive), with the same columns as rates_breakdown: rates with N, composite score and rank, and the
-- change against the range of the same length right before ($previous_start up to $previous_end), or the same
-- days of the month or week before (compare_to, onescreen.queries.range_bounds).
-- Summed from the day rows of mart_rates (counts, numerators and denominators add up over days); rates,
-- the composite score and is_ranked are recomputed as mart_rates computes them, with the rules the marts
-- were built with (weights, ranking.min_denominator), and units are ranked across the whole level, on the
-- same rates (like with like), before the street/community filter, as in the marts. Street/community
-- filters narrow the geographic levels (street, community, grid); department, source and category are
-- always district-wide. Narrowed to a community (or street) that holds several units, the area's tickets no unit
-- holds are one more row (未落格, 社区不明: parts/rates_breakdown_remainder.sql), shown and never ranked, so the rows
-- add up to the area: the "if narrowed" blocks (onescreen.queries._breakdown_switches).
with

meta as (
    select
        json_extract(rules_json, '$.composite_weights.response')::double as weight_response,
        json_extract(rules_json, '$.composite_weights.resolution')::double as weight_resolution,
        json_extract(rules_json, '$.composite_weights.satisfaction')::double as weight_satisfaction,
        json_extract(rules_json, '$.ranking.min_denominator')::double as min_denominator
    from mart_meta
),

{{if narrowed}}
{{include parts/rates_breakdown_parent.sql}}
{{end}}

days as (
    select
        case when period_start >= $period_start then 'c' else 'p' end as window_name,
        *
    from mart_rates
    where period_type = 'day'
        and level = $level
        and period_start >= $previous_start
        and period_start < $period_end
        -- (the previous range may end before this one starts: the same days of the month before)
        and (period_start >= $period_start or period_start < $previous_end)
),

{{if narrowed}}
-- The day rows of the area the breakdown is narrowed to (none when it is not), for its remainder row.
parent_days as (
    select
        case when period_start >= $period_start then 'c' else 'p' end as window_name,
        mart_rates.*
    from mart_rates
    inner join parent on mart_rates.level = parent.parent_level and mart_rates.unit_code = parent.parent_code
    where mart_rates.level in ('community', 'street')
        and period_type = 'day'
        and period_start >= $previous_start
        and period_start < $period_end
        and (period_start >= $period_start or period_start < $previous_end)
        and ($street_code is null or street_code = $street_code)
),

{{end}}
-- Each unit's tickets received on a window's last day after the time the window ends at, when it ends at a time
-- of that day (onescreen.queries.range_bounds' until; none when it ends at midnight): its 受理 is the day rows'
-- count less these, so the morning of day 10 is set against the morning of day 10. Rates stay whole days.
-- (Two reads, each of one time range: a read of both ranges at once scans the whole table.)
unit_tickets as not materialized (
    select received_at, coalesce(case $level
        when 'street' then street_code when 'community' then community_code when 'grid' then grid_code
        when 'department' then department when 'source' then source when 'category' then category_l1
    end, 'unassigned') as late_unit,
    -- its code at the level of the area the breakdown is narrowed to (parent), for that area's count
    case when $level = 'grid' and $community_code is not null then community_code else street_code end as late_parent
    from fct_tickets
),

late_rows as (
    select 'p' as late_window, late_unit, late_parent
    from unit_tickets
    where received_at >= $previous_end::timestamp and received_at < $previous_end::timestamp + interval 1 day
        and received_at::date < $previous_end::timestamp and received_at < $period_start
    union all
    select 'c', late_unit, late_parent
    from unit_tickets
    where received_at >= $period_end::timestamp and received_at < $period_end::timestamp + interval 1 day
        and received_at::date < $period_end::timestamp
),

late_tickets as (
    select late_window, late_unit, count(*) as late_count
    from late_rows
    group by late_window, late_unit
),

{{if narrowed}}
parent_late as (
    select late_window, count(*) as late_count
    from late_rows
    inner join parent on late_rows.late_parent = parent.parent_code
    where parent.parent_level is not null
    group by late_window
),

{{end}}
sums as (
    select
        window_name,
        unit_code,
        max(unit_name) as unit_name,
        max(street_code) as street_code,
        max(community_code) as community_code,
        max(grid_code) as grid_code,
        sum(ticket_count)::bigint - coalesce(max(late_count), 0) as ticket_count,
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
    from days
    left join late_tickets on late_tickets.late_window = days.window_name and late_tickets.late_unit = days.unit_code
    group by window_name, unit_code
),

{{if narrowed}}
-- The area's own row per window, summed as the units' are.
parent_totals as (
    select
        window_name,
        max(street_code) as street_code,
        max(community_code) as community_code,
        sum(ticket_count)::bigint - coalesce(max(late_count), 0) as ticket_count,
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
    from parent_days
    left join parent_late on parent_late.late_window = parent_days.window_name
    group by window_name
),

{{end}}
area_units as (
    select *
    from sums
    where ($level not in ('street', 'community', 'grid') or $street_code is null or street_code = $street_code)
        and ($level not in ('community', 'grid') or $community_code is null or community_code = $community_code)
),

{{if narrowed}}
{{include parts/rates_breakdown_remainder.sql}}
{{end}}

-- The level's units, and the remainder in place of the district-wide row of unassigned tickets when narrowed.
units as (
    select
        window_name, unit_code, unit_name, street_code, community_code, grid_code, ticket_count, response_numerator,
        response_denominator, resolution_numerator, resolution_denominator, satisfaction_numerator,
        satisfaction_denominator, on_time_numerator, on_time_denominator, closure_numerator, closure_denominator,
        overdue_count, near_deadline_count, handling_count, handling_workdays_sum, property_complaint_count,
        awaiting_callback_count
    from sums
{{if narrowed}}
    where unit_code <> 'unassigned'
    union all
    select
        window_name, unit_code, unit_name, street_code, community_code, grid_code, ticket_count, response_numerator,
        response_denominator, resolution_numerator, resolution_denominator, satisfaction_numerator,
        satisfaction_denominator, on_time_numerator, on_time_denominator, closure_numerator, closure_denominator,
        overdue_count, near_deadline_count, handling_count, handling_workdays_sum, property_complaint_count,
        awaiting_callback_count
    from remainder
{{end}}
),

rated as (
    select
        units.*,
        {{include parts/rates_of_sums.sql}}
    from units
),

scored as (
    select
        rated.*,
        unit_code <> 'unassigned'
            and (response_rate is not null or resolution_rate is not null or satisfaction_rate is not null)
            and (response_rate is null or response_denominator >= meta.min_denominator)
            and (resolution_rate is null or resolution_denominator >= meta.min_denominator)
            and (satisfaction_rate is null or satisfaction_denominator >= meta.min_denominator)
            as is_rankable,
        {{include parts/composite_score.sql}}
    from rated
    cross join meta
),

-- Like with like, as in mart_rates: a rate that a rankable unit of the window has is part of the basis, and a
-- unit without it is shown but not ranked.
basis as (
    select
        scored.*,
        is_rankable
            and (response_rate is not null
                or max(case when is_rankable and response_rate is not null then 1 else 0 end)
                    over (partition by window_name) = 0)
            and (resolution_rate is not null
                or max(case when is_rankable and resolution_rate is not null then 1 else 0 end)
                    over (partition by window_name) = 0)
            and (satisfaction_rate is not null
                or max(case when is_rankable and satisfaction_rate is not null then 1 else 0 end)
                    over (partition by window_name) = 0)
            as is_ranked
    from scored
),

ranked as (
    select
        basis.* exclude (is_rankable),
        case when is_ranked then rank() over (
            partition by window_name, is_ranked order by round(composite_score, 6) desc
        ) end as composite_rank
    from basis
),

current_period as (
    select 'range' as period_type, $period_start::date as period_start, $level as level, *
    from ranked
    where window_name = 'c'
        and ($level not in ('street', 'community', 'grid') or $street_code is null or street_code = $street_code)
        and ($level not in ('community', 'grid') or $community_code is null or community_code = $community_code)
),

previous_period as (
    select * from ranked where window_name = 'p'
),

{{include parts/rates_breakdown_rows.sql}}
