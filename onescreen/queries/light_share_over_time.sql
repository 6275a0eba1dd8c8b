-- Share of grids in each light per period (0-100), optionally within a street or community.
-- Every light appears in every period, with 0 when no grid shows it.
with

lights as (
    select *
    from mart_grid_lights
    where period_type = $period_type
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($start is null or period_start >= $start)
        and ($end is null or period_start <= $end)
),

colours as (
    select * from (values (1, 'red'), (2, 'yellow'), (3, 'green'), (4, 'grey')) as c(sort_order, light)
),

periods as (
    select period_start, count(*) as total_grid_count from lights group by period_start
),

counts as (
    select period_start, light, count(*) as grid_count from lights group by all
),

final as (
    select
        periods.period_start,
        colours.light,
        coalesce(counts.grid_count, 0) as grid_count,
        periods.total_grid_count,
        100.0 * coalesce(counts.grid_count, 0) / periods.total_grid_count as share
    from periods
    cross join colours
    left join counts on counts.period_start = periods.period_start and counts.light = colours.light
    order by periods.period_start, colours.sort_order
)

select * from final
