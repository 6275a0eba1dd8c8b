-- The rates, the composite score and their N for one unit over time, with the targets in force.
with

rates as (
    select *
    from mart_rates
    where period_type = $period_type
        and level = $scope_level
        and unit_code = $scope_code
        and ($start is null or period_start >= $start)
        and ($end is null or period_start <= $end)
),

meta as (
    select
        json_extract(rules_json, '$.targets.response_rate')::double as response_target,
        json_extract(rules_json, '$.targets.resolution_rate')::double as resolution_target,
        json_extract(rules_json, '$.targets.satisfaction_rate')::double as satisfaction_target
    from mart_meta
),

final as (
    select
        rates.period_type,
        rates.period_start,
        rates.level,
        rates.unit_code,
        rates.unit_name,
        rates.ticket_count,
        rates.response_rate,
        rates.response_numerator,
        rates.response_denominator,
        rates.resolution_rate,
        rates.resolution_numerator,
        rates.resolution_denominator,
        rates.satisfaction_rate,
        rates.satisfaction_numerator,
        rates.satisfaction_denominator,
        rates.on_time_rate,
        rates.on_time_numerator,
        rates.on_time_denominator,
        rates.closure_rate,
        rates.closure_numerator,
        rates.closure_denominator,
        rates.composite_score,
        rates.overdue_count,
        rates.open_count,
        rates.awaiting_callback_count,
        -- 回访未完, as kpi_tiles judges a window: more than 1% of the period's tickets may still get a callback,
        -- so its 解决率, 满意率 and 综合得分 will still move (the charts draw such points apart).
        -- (cast: ClickHouse gives a comparison as UInt8)
        cast(coalesce(rates.awaiting_callback_count, 0) > 0.01 * coalesce(rates.ticket_count, 0) as boolean)
            as is_callback_provisional,
        rates.near_deadline_count,
        rates.avg_handling_workdays,
        rates.handling_count,
        rates.property_complaint_count,
        rates.whistle_count,
        rates.whistle_closed_count,
        rates.consultation_count,
        rates.consultation_closed_count,
        meta.response_target,
        meta.resolution_target,
        meta.satisfaction_target
    from rates
    cross join meta
)

select * from final
order by period_start
