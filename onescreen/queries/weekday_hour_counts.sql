-- Tickets received in the date range (inclusive) by weekday (1 = Monday ... 7 = Sunday) and hour of
-- receipt (0-23). All 168 cells, with 0 where nothing was received.
with

tickets as (
    select received_at
    from fct_tickets
    {{include parts/ticket_filters.sql}}
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
