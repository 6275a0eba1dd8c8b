-- Every unit of one level for one period: rates with N, composite score and rank, and the change
-- against the previous period. Street/community filters narrow the geographic levels (street,
-- community, grid); department, source and category are always district-wide (全区口径). Narrowed to a
-- community (or street) that holds several units, the area's tickets no unit holds are one more row
-- (未落格, 社区不明: parts/rates_breakdown_remainder.sql), shown and never ranked, so the rows add up to the area:
-- the "if narrowed" block (onescreen.queries._breakdown_switches); otherwise the plain reads first.
with

{{if not narrowed}}
current_period as (
    select *
    from mart_rates
    where period_type = $period_type
        and period_start = $period_start
        and level = $level
        and (level not in ('street', 'community', 'grid') or $street_code is null or street_code = $street_code)
        and (level not in ('community', 'grid') or $community_code is null or community_code = $community_code)
),

previous_period as (
    select *
    from mart_rates
    where period_type = $period_type
        and period_start = $previous_start
        and level = $level
),
{{end}}

{{if narrowed}}
meta as (
    select
        json_extract(rules_json, '$.composite_weights.response')::double as weight_response,
        json_extract(rules_json, '$.composite_weights.resolution')::double as weight_resolution,
        json_extract(rules_json, '$.composite_weights.satisfaction')::double as weight_satisfaction
    from mart_meta
),

{{include parts/rates_breakdown_parent.sql}}

level_rows as (
    select case when period_start = $period_start then 'c' else 'p' end as window_name, *
    from mart_rates
    where period_type = $period_type
        and period_start in ($period_start, $previous_start)
        and level = $level
),

area_units as (
    select *
    from level_rows
    where (level not in ('street', 'community', 'grid') or $street_code is null or street_code = $street_code)
        and (level not in ('community', 'grid') or $community_code is null or community_code = $community_code)
),

parent_totals as (
    select case when period_start = $period_start then 'c' else 'p' end as window_name, mart_rates.*
    from mart_rates
    inner join parent on mart_rates.level = parent.parent_level and mart_rates.unit_code = parent.parent_code
    where mart_rates.level in ('community', 'street')
        and period_type = $period_type
        and period_start in ($period_start, $previous_start)
        and ($street_code is null or street_code = $street_code)
),

{{include parts/rates_breakdown_remainder.sql}}

-- The remainder's rates and composite score as mart_rates computes them (with the weights it was built with).
remainder_rated as (
    select
        *,
        {{include parts/rates_of_sums.sql}}
    from remainder
),

remainder_scored as (
    select
        remainder_rated.*,
        {{include parts/composite_score.sql}}
    from remainder_rated
    cross join meta
),

-- The level's units, and the remainder in place of the district-wide row of unassigned tickets when narrowed.
units as materialized (
    select
        window_name, unit_code, unit_name, street_code, community_code, grid_code, ticket_count, response_rate,
        response_numerator, response_denominator, resolution_rate, resolution_numerator, resolution_denominator,
        satisfaction_rate, satisfaction_numerator, satisfaction_denominator, on_time_rate, on_time_numerator,
        on_time_denominator, closure_rate, closure_numerator, closure_denominator, overdue_count,
        near_deadline_count, avg_handling_workdays, handling_count, property_complaint_count, awaiting_callback_count,
        composite_score,
        is_ranked, composite_rank
    from level_rows
    where window_name = 'p' and unit_code <> 'unassigned'
    union all
    select
        window_name, unit_code, unit_name, street_code, community_code, grid_code, ticket_count, response_rate,
        response_numerator, response_denominator, resolution_rate, resolution_numerator, resolution_denominator,
        satisfaction_rate, satisfaction_numerator, satisfaction_denominator, on_time_rate, on_time_numerator,
        on_time_denominator, closure_rate, closure_numerator, closure_denominator, overdue_count,
        near_deadline_count, avg_handling_workdays, handling_count, property_complaint_count, awaiting_callback_count,
        composite_score,
        is_ranked, composite_rank
    from area_units
    where window_name = 'c'
    union all
    select
        window_name, unit_code, unit_name, street_code, community_code, grid_code, ticket_count, response_rate,
        response_numerator, response_denominator, resolution_rate, resolution_numerator, resolution_denominator,
        satisfaction_rate, satisfaction_numerator, satisfaction_denominator, on_time_rate, on_time_numerator,
        on_time_denominator, closure_rate, closure_numerator, closure_denominator, overdue_count,
        near_deadline_count, avg_handling_workdays, handling_count, property_complaint_count, awaiting_callback_count,
        composite_score,
        false as is_ranked, cast(null as bigint) as composite_rank
    from remainder_scored
),

current_period as (
    select $period_type as period_type, $period_start::date as period_start, $level as level, *
    from units
    where window_name = 'c'
),

previous_period as (
    select * from units where window_name = 'p'
),
{{end}}

{{include parts/rates_breakdown_rows.sql}}
