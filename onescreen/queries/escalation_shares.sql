-- Where tickets were closed (网格/社区/街道/区) for one unit and period: count and share (0-100) of
-- closed tickets with a known handling level. Four rows, always.
with

rates as (
    select *
    from mart_rates
    where period_type = $period_type
        and period_start = $period_start
        and level = $scope_level
        and unit_code = $scope_code
),

row_of as (
    select (select r from rates as r) as r
),

final as (
    select 1 as sort_order, 'grid' as handling_level, '网格' as handling_level_label,
        coalesce(r.closed_at_grid_count, 0) as closed_count, r.closed_at_grid_share as share,
        coalesce(r.escalation_denominator, 0) as escalation_denominator
    from row_of
    union all
    select 2, 'community', '社区', coalesce(r.closed_at_community_count, 0), r.closed_at_community_share,
        coalesce(r.escalation_denominator, 0)
    from row_of
    union all
    select 3, 'street', '街道', coalesce(r.closed_at_street_count, 0), r.closed_at_street_share,
        coalesce(r.escalation_denominator, 0)
    from row_of
    union all
    select 4, 'district', '区', coalesce(r.closed_at_district_count, 0), r.closed_at_district_share,
        coalesce(r.escalation_denominator, 0)
    from row_of
)

select * from final
order by sort_order
