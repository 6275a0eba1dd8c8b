-- mart_grid_lights: one row per (grid_code, period_type, period_start) for every grid and every period
-- from the first received ticket to the as-of time, with the light and the figures that decided it.
-- Over the grid's tickets of that period (received in it), at the as-of time:
--   grey   no ticket is due, closed or near its deadline (on-time denominator 0, no 临期): a 临期 ticket is a
--          warning the yellow rule shows, so it is never hidden behind grey
--   red    on-time rate < $red_on_time_rate_below over at least $red_min_denominator due or closed tickets,
--          or open overdue >= $red_overdue_at_least
--   yellow on-time rate < $yellow_on_time_rate_below, or any open overdue or near deadline
--   green  otherwise
-- consecutive_red_periods: how many periods of this type in a row, ending with this one, were red
-- (0 when this one is not red); consecutive_yellow_periods the same for yellow (the 周报 lists the grids
-- yellow longest: a warning that stays is called out before one that is new).
create or replace table mart_grid_lights as
with

grid_rates as (
    select * from mart_rates where level = 'grid'
),

dim as (
    select * from dim_grids
),

as_of as (
    select as_of_at from tmp_as_of
),

first_ticket as (
    select min(received_at)::date as first_date from fct_tickets
),

-- Grids from the grid definitions, plus any grid code that tickets carry but the definitions lack.
grids as (
    select grid_code, grid_name, community_code, community_name, street_code, street_name
    from dim
    union all
    select
        grid_code,
        null,
        max(community_code),
        max(community_name),
        max(street_code),
        max(street_name)
    from fct_tickets
    where grid_code is not null and grid_code not in (select grid_code from dim)
    group by grid_code
),

days as (
    select unnest(generate_series(first_ticket.first_date, as_of.as_of_at::date, interval 1 day))::date as day
    from first_ticket cross join as_of
),

period_starts as (
    select distinct 'day' as period_type, day as period_start from days
    union all
    select distinct 'week', date_trunc('week', day)::date from days
    union all
    select distinct 'month', date_trunc('month', day)::date from days
),

-- Periods are complete (no gaps), numbered 1, 2, ... within each period type.
periods as (
    select
        period_type,
        period_start,
        row_number() over (partition by period_type order by period_start) as period_index
    from period_starts
),

figures as (
    select
        grids.grid_code,
        coalesce(grids.grid_name, grids.grid_code) as grid_name,
        grids.community_code,
        grids.community_name,
        grids.street_code,
        grids.street_name,
        periods.period_type,
        periods.period_start,
        periods.period_index,
        coalesce(grid_rates.ticket_count, 0) as ticket_count,
        coalesce(grid_rates.on_time_numerator, 0) as on_time_numerator,
        coalesce(grid_rates.on_time_denominator, 0) as on_time_denominator,
        grid_rates.on_time_rate,
        coalesce(grid_rates.overdue_count, 0) as overdue_count,
        coalesce(grid_rates.near_deadline_count, 0) as near_deadline_count
    from grids
    cross join periods
    left join grid_rates
        on grid_rates.unit_code = grids.grid_code
        and grid_rates.period_type = periods.period_type
        and grid_rates.period_start = periods.period_start
),

lit as (
    select
        *,
        case
            when on_time_denominator = 0 and near_deadline_count = 0 then 'grey'
            when (on_time_rate < $red_on_time_rate_below and on_time_denominator >= $red_min_denominator)
                or overdue_count >= $red_overdue_at_least then 'red'
            when on_time_rate < $yellow_on_time_rate_below or overdue_count > 0 or near_deadline_count > 0
                then 'yellow'
            else 'green'
        end as light
    from figures
),

explained as (
    select
        *,
        case light
            when 'grey' then '本期无到期、办结或临期工单'
            when 'green' then format('按期办结率 {:.1f}%，无超期、临期', on_time_rate)
            when 'red' then concat_ws('；',
                case when on_time_rate < $red_on_time_rate_below and on_time_denominator >= $red_min_denominator
                    then format('按期办结率 {:.1f}% 低于 {:g}%', on_time_rate, $red_on_time_rate_below) end,
                case when overdue_count >= $red_overdue_at_least
                    then format('超期 {} 件（≥{} 件）', overdue_count, $red_overdue_at_least) end)
            else concat_ws('；',
                case when on_time_rate < $red_on_time_rate_below
                    then format('按期办结率 {:.1f}%（仅 {} 件，不足 {} 件不判红灯）', on_time_rate,
                        on_time_denominator, $red_min_denominator)
                    when on_time_rate < $yellow_on_time_rate_below
                    then format('按期办结率 {:.1f}% 低于 {:g}%', on_time_rate, $yellow_on_time_rate_below) end,
                case when overdue_count > 0 then format('超期 {} 件', overdue_count) end,
                case when near_deadline_count > 0 then format('临期 {} 件', near_deadline_count) end)
        end as light_reason,
        -- A red run ends here: its length is the distance back to the last period that was not red.
        case when light = 'red' then
            period_index - coalesce(max(case when light <> 'red' then period_index end) over (
                partition by grid_code, period_type order by period_start
                rows between unbounded preceding and current row
            ), 0)
            else 0
        end as consecutive_red_periods,
        -- (the same window as above: one sort serves both)
        case when light = 'yellow' then
            period_index - coalesce(max(case when light <> 'yellow' then period_index end) over (
                partition by grid_code, period_type order by period_start
                rows between unbounded preceding and current row
            ), 0)
            else 0
        end as consecutive_yellow_periods
    from lit
),

final as (
    select
        period_type,
        period_start,
        grid_code,
        grid_name,
        community_code,
        community_name,
        street_code,
        street_name,
        ticket_count,
        on_time_numerator,
        on_time_denominator,
        on_time_rate,
        overdue_count,
        near_deadline_count,
        light,
        light_reason,
        consecutive_red_periods,
        consecutive_yellow_periods
    from explained
)

select * from final
