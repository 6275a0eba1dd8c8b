-- The rows shared by rates_breakdown and rates_breakdown_range, included after the query's own CTEs
-- `current_period` (the level's units in the period or range, with mart_rates' columns, composite_rank
-- and is_ranked) and `previous_period` (the same for the period or range before): each unit's rates
-- with N, its score and rank, and their change, in the order asked for.
-- 回访未完 (as kpi_tiles judges a window: measures.CALLBACK_METRICS): a unit whose own tickets still waiting for a
-- callback are more than 1% of its receipts (is_callback_provisional), and the same for all the rows listed
-- (listed_*: the area of the breakdown, window sums over the level's rows before the limit). The pages mark a
-- ranking on the listed flag: the rates, scores and so the ranks of nearly every unit move while it is set.
-- (Sums of mart_rates' awaiting_callback_count: no further read of the tickets.)
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
        c.awaiting_callback_count,
        -- (cast: ClickHouse gives a comparison as UInt8)
        cast(coalesce(c.awaiting_callback_count, 0) > 0.01 * coalesce(c.ticket_count, 0) as boolean)
            as is_callback_provisional,
        cast(sum(coalesce(c.awaiting_callback_count, 0)) over () as bigint) as listed_awaiting_callback_count,
        cast(sum(coalesce(c.awaiting_callback_count, 0)) over () > 0.01 * sum(coalesce(c.ticket_count, 0)) over ()
            as boolean) as is_listed_callback_provisional,
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
