-- One row per KPI for one unit over a custom date range (received from $period_start up to
-- $period_end, exclusive), with the same columns as kpi_tiles. Read from the day rows of mart_rates:
-- every count, numerator and denominator there is a count (or sum) of per-ticket flags, so it adds up
-- over days exactly; the rates are recomputed from the summed numerators and denominators, and the
-- composite score with the weights the marts were built with (mart_meta.rules_json), as mart_rates
-- does. "Previous" is the range of the same length right before, "yoy" the same dates a year earlier.
-- Counts are 0 when the range overlaps the loaded days (first to last receipt day) but has no ticket
-- of this unit; a range wholly outside them (before the first load) gives null.
with

meta as (
    select
        rules_json,
        json_extract(rules_json, '$.composite_weights.response')::double as weight_response,
        json_extract(rules_json, '$.composite_weights.resolution')::double as weight_resolution,
        json_extract(rules_json, '$.composite_weights.satisfaction')::double as weight_satisfaction
    from mart_meta
),

-- A window's end is a day (exclusive), or a time of its last day when the tickets stop during that day
-- (onescreen.queries.range_bounds' until): its day rows then include that last day, less the tickets
-- received after that time (late_tickets), so the morning of day 10 is set against the morning of day 10.
windows as (
    select 'c' as window_name, $period_start::date as window_start, $period_end::timestamp as window_end
    union all
    select 'p', $previous_start::date, $previous_end::timestamp
    union all
    select 'y', $yoy_start::date, $yoy_end::timestamp
),

-- The days the loaded tickets were received on, first to last: a range that overlaps them has real
-- zeros; one wholly outside them (before the first load) is unknown.
loaded_span as (
    select min(period_start) as first_day, max(period_start) as last_day
    from mart_rates
    where period_type = 'day' and level = 'district'
),

loaded as (
    select
        windows.window_name,
        case when windows.window_start <= loaded_span.last_day and windows.window_end > loaded_span.first_day
            then 1 else 0 end as is_loaded
    from windows
    cross join loaded_span
),

days as (
    select windows.window_name, mart_rates.*
    from windows
    join mart_rates
        on mart_rates.period_start >= windows.window_start and mart_rates.period_start < windows.window_end
    where mart_rates.period_type = 'day'
        and mart_rates.level = $scope_level
        and mart_rates.unit_code = $scope_code
),

-- The unit's tickets, only their receipt times (not materialised: each read below keeps its own time range, so
-- it reads at most a day of the table, stored in receipt order).
unit_tickets as not materialized (
    select received_at
    from fct_tickets
    where case $scope_level
        when 'district' then true
        when 'street' then coalesce(street_code, 'unassigned') = $scope_code
        when 'community' then coalesce(community_code, 'unassigned') = $scope_code
        when 'grid' then coalesce(grid_code, 'unassigned') = $scope_code
        when 'department' then coalesce(department, 'unassigned') = $scope_code
        when 'source' then coalesce(source, 'unassigned') = $scope_code
        when 'category' then coalesce(category_l1, 'unassigned') = $scope_code
    end
),

-- The unit's tickets received on a window's last day after the time the window ends at (none when it ends at
-- midnight: received_at::date < its end fails for every ticket of that day).
late_tickets as (
    select 'c' as window_name, count(*)::double as late_count
    from unit_tickets
    where received_at >= $period_end::timestamp and received_at < $period_end::timestamp + interval 1 day
        and received_at::date < $period_end::timestamp
    union all
    select 'p', count(*)::double
    from unit_tickets
    where received_at >= $previous_end::timestamp and received_at < $previous_end::timestamp + interval 1 day
        and received_at::date < $previous_end::timestamp
    union all
    select 'y', count(*)::double
    from unit_tickets
    where received_at >= $yoy_end::timestamp and received_at < $yoy_end::timestamp + interval 1 day
        and received_at::date < $yoy_end::timestamp
),

-- 受理 of a window that ends at a time of its last day is the day rows' count less the later tickets. (Rates,
-- and the counts made by rules, stay whole days: the first hours of a day decide little of them.)
sums as (
    select
        days.window_name,
        sum(ticket_count)::double - coalesce(max(late_tickets.late_count), 0) as ticket_count,
        sum(response_numerator)::double as response_numerator,
        sum(response_denominator)::double as response_denominator,
        sum(resolution_numerator)::double as resolution_numerator,
        sum(resolution_denominator)::double as resolution_denominator,
        sum(satisfaction_numerator)::double as satisfaction_numerator,
        sum(satisfaction_denominator)::double as satisfaction_denominator,
        sum(on_time_numerator)::double as on_time_numerator,
        sum(on_time_denominator)::double as on_time_denominator,
        sum(closure_numerator)::double as closure_numerator,
        sum(closure_denominator)::double as closure_denominator,
        sum(open_count)::double as open_count,
        sum(awaiting_callback_count)::double as awaiting_callback_count,
        sum(overdue_count)::double as overdue_count,
        sum(near_deadline_count)::double as near_deadline_count,
        sum(handling_count)::double as handling_count,
        sum(handling_workdays_sum)::double as handling_workdays_sum,
        sum(property_complaint_count)::double as property_complaint_count,
        sum(whistle_count)::double as whistle_count,
        sum(whistle_closed_count)::double as whistle_closed_count,
        sum(consultation_count)::double as consultation_count,
        sum(consultation_closed_count)::double as consultation_closed_count
    from days
    left join late_tickets on late_tickets.window_name = days.window_name
    group by days.window_name
),

rated as (
    select
        sums.*,
        {{include parts/rates_of_sums.sql}}
    from sums
),

scored as (
    select
        rated.*,
        {{include parts/composite_score.sql}}
    from rated
    cross join meta
),

-- Each range's sums of this unit (all null when the unit has no day in it), and whether that range
-- overlaps the loaded days at all. Plain left joins, so the same SQL runs on ClickHouse (onescreen.engine).
periods as (
    select loaded.window_name as period, loaded.is_loaded = 1 as loaded, scored.*
    from loaded
    left join scored on scored.window_name = loaded.window_name
),

{{include parts/kpi_tiles_figures.sql}}
