-- Tickets received in the date range (inclusive) by weekday (1 = Monday ... 7 = Sunday) and hour of
-- receipt (0-23). All 168 cells, with 0 where nothing was received.
with

tickets as (
    select received_at
    from fct_tickets
    where ($start is null or received_at >= $start)
        and ($end is null or received_at < $end::date + interval 1 day)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
),

counts as (
    select isodow(received_at) as weekday, hour(received_at) as hour, count(*) as ticket_count
    from tickets
    group by all
),

cells as (
    select weekdays.weekday, hours.hour
    from range(1, 8) as weekdays(weekday)
    cross join range(0, 24) as hours(hour)
),

final as (
    select
        cells.weekday::integer as weekday,
        cells.hour::integer as hour,
        coalesce(counts.ticket_count, 0) as ticket_count
    from cells
    left join counts on counts.weekday = cells.weekday and counts.hour = cells.hour
)

select * from final
order by weekday, hour
