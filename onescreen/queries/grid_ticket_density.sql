-- Every grid with its tickets over a date range (received, start and end inclusive) and tickets per
-- 1,000 households, filtered by area, source and category, with its shape for the choropleth. Grids
-- without households get no rate; tickets not placed in a grid count nowhere.
with

grids as (
    select grid_code, grid_name, community_code, community_name, street_code, street_name, households,
        geometry_geojson
    from dim_grids
    where ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
),

tickets as (
    select grid_code
    from fct_tickets
    where grid_code is not null
        and ($start is null or received_at >= $start)
        and ($end is null or received_at < $end::date + interval 1 day)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
),

counts as (
    select grid_code, count(*) as ticket_count
    from tickets
    group by grid_code
),

final as (
    select
        grids.grid_code,
        coalesce(grids.grid_name, grids.grid_code) as grid_name,
        grids.community_code,
        grids.community_name,
        grids.street_code,
        grids.street_name,
        grids.households,
        coalesce(counts.ticket_count, 0) as ticket_count,
        case when grids.households > 0
            then 1000.0 * coalesce(counts.ticket_count, 0) / grids.households
        end as tickets_per_1k_households,
        grids.geometry_geojson
    from grids
    left join counts on counts.grid_code = grids.grid_code
)

select * from final
order by tickets_per_1k_households desc nulls last, grid_code
