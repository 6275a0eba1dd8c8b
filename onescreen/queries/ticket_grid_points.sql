-- Ticket locations for the big screen: the same tickets as ticket_points, but counted per grid and
-- drawn at the grid's representative point (centroid_lon/lat), never where the ticket was. Tickets
-- with no grid, or whose grid has no point, make the one row with null coordinates. Same columns as
-- ticket_points, so a page draws either.
with

tickets as (
    select grid_code
    from fct_tickets
    {{include parts/ticket_filters.sql}}
),

grids as (
    select grid_code, centroid_lon, centroid_lat from dim_grids
),

counted as (
    select grids.centroid_lon as lon, grids.centroid_lat as lat, count(*) as ticket_count
    from tickets
    left join grids on grids.grid_code = tickets.grid_code
    group by all
),

located as (
    select lon, lat, ticket_count from counted
    where lon is not null and lat is not null
    order by ticket_count desc, lon, lat
    limit $limit
),

unlocated as (
    select null::double as lon, null::double as lat, sum(ticket_count)::bigint as ticket_count
    from counted
    where lon is null or lat is null
    having sum(ticket_count) > 0
),

final as (
    select lon, lat, ticket_count, true as is_located from located
    union all
    select lon, lat, ticket_count, false from unlocated
)

select * from final
order by is_located desc, ticket_count desc, lon, lat
