-- Ticket locations for the density layer, never raw tickets: tickets with coordinates received in the
-- date range (inclusive) are summed into square cells of about $cell_size_m metres, each cell's centre
-- being its point; at most $limit cells, densest first. One more row, with null coordinates, counts the
-- tickets that have none (they are left off the map but not out of the N). is_placed (whether in a grid, as
-- ticket_grid_points says it) is null here: the cells go by coordinates, not grids.
with

tickets as (
    select lon, lat
    from fct_tickets
    {{include parts/ticket_filters.sql}}
),

cell as (
    select $cell_size_m / 111000.0 as degrees
),

cells as (
    select
        (floor(tickets.lon / cell.degrees) + 0.5) * cell.degrees as lon,
        (floor(tickets.lat / cell.degrees) + 0.5) * cell.degrees as lat,
        count(*) as ticket_count
    from tickets
    cross join cell
    where tickets.lon is not null and tickets.lat is not null
    group by all
),

densest as (
    select * from cells
    order by ticket_count desc, lon, lat
    limit $limit
),

unlocated as (
    select null::double as lon, null::double as lat, count(*) as ticket_count
    from tickets
    where lon is null or lat is null
    having count(*) > 0
),

final as (
    select lon, lat, ticket_count, true as is_located, null::boolean as is_placed from densest
    union all
    select lon, lat, ticket_count, false, null::boolean from unlocated
)

select * from final
order by is_located desc, ticket_count desc, lon, lat
