-- Where tickets were closed (网格/社区/街道/区) for one unit and period or date range: count and share
-- (0-100) of closed tickets with a known handling level. Four rows, always.
-- The counts are summed over the mart_rates rows of $grain from $period_start up to $period_end: the
-- one row of a period, or the day rows of a range (counts add up over days). An aggregate without
-- GROUP BY is one row, all null when the unit has none.
with

r as (
    select
        sum(closed_at_grid_count)::bigint as closed_at_grid_count,
        sum(closed_at_community_count)::bigint as closed_at_community_count,
        sum(closed_at_street_count)::bigint as closed_at_street_count,
        sum(closed_at_district_count)::bigint as closed_at_district_count,
        sum(escalation_denominator)::bigint as escalation_denominator
    from mart_rates
    where period_type = $grain
        and period_start >= $period_start
        and period_start < $period_end
        and level = $scope_level
        and unit_code = $scope_code
),

final as (
    select 1 as sort_order, 'grid' as handling_level, '网格' as handling_level_label,
        coalesce(r.closed_at_grid_count, 0) as closed_count,
        100.0 * r.closed_at_grid_count / nullif(r.escalation_denominator, 0) as share,
        coalesce(r.escalation_denominator, 0) as escalation_denominator
    from r
    union all
    select 2, 'community', '社区', coalesce(r.closed_at_community_count, 0),
        100.0 * r.closed_at_community_count / nullif(r.escalation_denominator, 0), coalesce(r.escalation_denominator, 0)
    from r
    union all
    select 3, 'street', '街道', coalesce(r.closed_at_street_count, 0),
        100.0 * r.closed_at_street_count / nullif(r.escalation_denominator, 0), coalesce(r.escalation_denominator, 0)
    from r
    union all
    select 4, 'district', '区', coalesce(r.closed_at_district_count, 0),
        100.0 * r.closed_at_district_count / nullif(r.escalation_denominator, 0), coalesce(r.escalation_denominator, 0)
    from r
)

select * from final
order by sort_order
