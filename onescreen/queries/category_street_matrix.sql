-- Tickets received in the date range (inclusive) by first-level category and street (or community,
-- with level = 'community'), for the matrix heatmap. Only combinations with tickets are returned.
with

tickets as (
    select street_code, street_name, community_code, community_name, category_l1
    from fct_tickets
    where ($start is null or received_at >= $start)
        and ($end is null or received_at < $end::date + interval 1 day)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
),

units as (
    select
        case when $level = 'community' then community_code else street_code end as unit_code,
        case when $level = 'community' then community_name else street_name end as unit_name,
        category_l1
    from tickets
),

final as (
    select
        coalesce(unit_code, '') as unit_code,
        coalesce(max(unit_name), case when $level = 'community' then '未落社区' else '未落街道' end) as unit_name,
        coalesce(category_l1, '未分类') as category_l1,
        count(*) as ticket_count
    from units
    group by all
)

select * from final
order by unit_code = '', unit_code, category_l1
