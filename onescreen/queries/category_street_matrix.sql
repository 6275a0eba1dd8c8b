-- Tickets received in the date range (inclusive) by first-level category and street (or community,
-- with level = 'community'), for the matrix heatmap. Only combinations with tickets are returned.
with

tickets as (
    select street_code, street_name, community_code, community_name, category_l1
    from fct_tickets
    {{include parts/ticket_filters.sql}}
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
        coalesce(max(unit_name), case when $level = 'community' then '社区不明' else '街道不明' end) as unit_name,
        coalesce(category_l1, '未分类') as category_l1,
        count(*) as ticket_count
    from units
    group by all
)

select * from final
order by unit_code = '', unit_code, category_l1
