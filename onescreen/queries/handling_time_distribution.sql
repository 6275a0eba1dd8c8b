-- Closed tickets by handling time in working days (lower bound included, upper excluded) for one
-- unit and period or date range, with shares (0-100). Seven rows, always; timeline errors are left out.
-- The counts are summed over the mart_rates rows of $grain from $period_start up to $period_end: the
-- one row of a period, or the day rows of a range (counts add up over days). An aggregate without
-- GROUP BY is one row, all null when the unit has none.
with

r as (
    select
        sum(handling_lt1_count)::bigint as handling_lt1_count,
        sum(handling_1_2_count)::bigint as handling_1_2_count,
        sum(handling_2_3_count)::bigint as handling_2_3_count,
        sum(handling_3_5_count)::bigint as handling_3_5_count,
        sum(handling_5_10_count)::bigint as handling_5_10_count,
        sum(handling_10_15_count)::bigint as handling_10_15_count,
        sum(handling_ge15_count)::bigint as handling_ge15_count,
        sum(handling_count)::bigint as handling_count
    from mart_rates
    where period_type = $grain
        and period_start >= $period_start
        and period_start < $period_end
        and level = $scope_level
        and unit_code = $scope_code
),

buckets as (
    select 1 as sort_order, '不足1个工作日' as bucket_label, 0.0 as lower_workdays, 1.0 as upper_workdays,
        r.handling_lt1_count as ticket_count, r.handling_count as handling_count from r
    union all select 2, '1-2个工作日', 1.0, 2.0, r.handling_1_2_count, r.handling_count from r
    union all select 3, '2-3个工作日', 2.0, 3.0, r.handling_2_3_count, r.handling_count from r
    union all select 4, '3-5个工作日', 3.0, 5.0, r.handling_3_5_count, r.handling_count from r
    union all select 5, '5-10个工作日', 5.0, 10.0, r.handling_5_10_count, r.handling_count from r
    union all select 6, '10-15个工作日', 10.0, 15.0, r.handling_10_15_count, r.handling_count from r
    union all select 7, '15个工作日及以上', 15.0, null, r.handling_ge15_count, r.handling_count from r
),

final as (
    select
        sort_order,
        bucket_label,
        lower_workdays,
        upper_workdays,
        coalesce(ticket_count, 0) as ticket_count,
        100.0 * ticket_count / nullif(handling_count, 0) as share,
        coalesce(handling_count, 0) as handling_count
    from buckets
)

select * from final
order by sort_order
