-- Ticket locations for the big screen: the same tickets as ticket_points, but counted per grid and
-- drawn at the grid's representative point (centroid_lon/lat), never where the ticket was. Tickets
-- with no grid make one row with null coordinates (is_placed false: 未落格, the tickets 工单明细 lists
-- with unassigned=grid), tickets whose grid has no point another (is_placed true). Same columns as
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
    select grids.centroid_lon as lon, grids.centroid_lat as lat, tickets.grid_code is not null as is_placed,
        count(*) as ticket_count
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
    select null::double as lon, null::double as lat, sum(ticket_count)::bigint as ticket_count, is_placed
    from counted
    where lon is null or lat is null
    group by is_placed
),

final as (
    select lon, lat, ticket_count, true as is_located, true as is_placed from located
    union all
    select lon, lat, ticket_count, false, is_placed from unlocated
)

select * from final
order by is_located desc, ticket_count desc, is_placed, lon, lat
