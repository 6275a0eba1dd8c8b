-- Closed tickets by handling time in working days (lower bound included, upper excluded) for one
-- unit and period, with shares (0-100). Seven rows, always; timeline errors are left out.
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

buckets as (
    select 1 as sort_order, '不足1个工作日' as bucket_label, 0.0 as lower_workdays, 1.0 as upper_workdays,
        r.handling_lt1_count as ticket_count, r.handling_count as handling_count from row_of
    union all select 2, '1-2个工作日', 1, 2, r.handling_1_2_count, r.handling_count from row_of
    union all select 3, '2-3个工作日', 2, 3, r.handling_2_3_count, r.handling_count from row_of
    union all select 4, '3-5个工作日', 3, 5, r.handling_3_5_count, r.handling_count from row_of
    union all select 5, '5-10个工作日', 5, 10, r.handling_5_10_count, r.handling_count from row_of
    union all select 6, '10-15个工作日', 10, 15, r.handling_10_15_count, r.handling_count from row_of
    union all select 7, '15个工作日及以上', 15, null, r.handling_ge15_count, r.handling_count from row_of
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
