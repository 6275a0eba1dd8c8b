-- Every grid's light for one period, with the figures that decided it, how many periods in a row it has been
-- red or yellow, the light of the previous period (to spot grids that turned red), its shape and its
-- households (三色户 where loaded).
with

lights as (
    select *
    from mart_grid_lights
    where period_type = $period_type
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
),

grids as (
    select * from dim_grids
),

current_period as (
    select * from lights where period_start = $period_start and ($light is null or light = $light)
),

previous_period as (
    select grid_code, light from lights where period_start = $previous_start
),

final as (
    select
        c.period_type,
        c.period_start,
        c.grid_code,
        c.grid_name,
        c.community_code,
        c.community_name,
        c.street_code,
        c.street_name,
        c.light,
        c.light_reason,
        c.ticket_count,
        c.on_time_rate,
        c.on_time_numerator,
        c.on_time_denominator,
        c.overdue_count,
        c.near_deadline_count,
        c.consecutive_red_periods,
        c.consecutive_yellow_periods,
        p.light as previous_light,
        grids.grid_type,
        grids.households,
        grids.red_households,
        grids.yellow_households,
        grids.green_households,
        grids.centroid_lon,
        grids.centroid_lat,
        grids.geometry_geojson
    from current_period as c
    left join previous_period as p on p.grid_code = c.grid_code
    left join grids on grids.grid_code = c.grid_code
)

select * from final
order by case light when 'red' then 0 when 'yellow' then 1 when 'green' then 2 else 3 end,
    consecutive_red_periods desc, grid_code
