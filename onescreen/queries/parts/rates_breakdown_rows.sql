-- The rows shared by rates_breakdown and rates_breakdown_range, included after the query's own CTEs
-- `current_period` (the level's units in the period or range, with mart_rates' columns, composite_rank
-- and is_ranked) and `previous_period` (the same for the period or range before): each unit's rates
-- with N, its score and rank, and their change, in the order asked for.
final as (
    select
        c.period_type,
        c.period_start,
        c.level,
        c.unit_code,
        c.unit_name,
        c.street_code,
        c.community_code,
        c.grid_code,
        c.ticket_count,
        c.response_rate,
        c.response_numerator,
        c.response_denominator,
        c.resolution_rate,
        c.resolution_numerator,
        c.resolution_denominator,
        c.satisfaction_rate,
        c.satisfaction_numerator,
        c.satisfaction_denominator,
        c.on_time_rate,
        c.on_time_numerator,
        c.on_time_denominator,
        c.closure_rate,
        c.closure_numerator,
        c.closure_denominator,
        c.overdue_count,
        c.near_deadline_count,
        c.avg_handling_workdays,
        c.handling_count,
        c.property_complaint_count,
        c.composite_score,
        c.is_ranked,
        c.composite_rank,
        p.ticket_count as previous_ticket_count,
        100.0 * (c.ticket_count - p.ticket_count) / nullif(p.ticket_count, 0) as ticket_count_change_pct,
        p.response_rate as previous_response_rate,
        p.resolution_rate as previous_resolution_rate,
        p.satisfaction_rate as previous_satisfaction_rate,
        p.on_time_rate as previous_on_time_rate,
        p.composite_score as previous_composite_score,
        c.composite_score - p.composite_score as composite_change,
        p.composite_rank as previous_composite_rank,
        p.composite_rank - c.composite_rank as rank_change
    from current_period as c
    left join previous_period as p on p.unit_code = c.unit_code
)

select * from final
order by {{sort}} {{order}} nulls last, unit_code
limit $limit
