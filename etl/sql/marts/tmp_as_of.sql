-- The as-of time (数据截至): the newest event in the loaded tickets, never the wall clock.
-- Events are received, dispatched, responded, resolved and callback times; deadlines are not events.
-- Tickets flagged with a timeline error contribute only their received time: their other times are
-- known to be wrong and one typo (a callback in 2052) must not move "now" for every other ticket.
create or replace temp table tmp_as_of as
with

tickets as (
    select * from fct_tickets
),

calendar as (
    select * from dim_calendar
),

event_times as (
    select
        max(received_at) as newest_received_at,
        max(
            case when not has_timeline_error
                then greatest(dispatched_at, responded_at, resolved_at, callback_at)
            end
        ) as newest_other_at
    from tickets
),

as_of as (
    select greatest(newest_received_at, newest_other_at) as as_of_at
    from event_times
),

final as (
    select
        as_of.as_of_at,
        -- Position of the as-of time on the working clock (seconds; see int_ticket_facts.sql).
        case
            when calendar.is_workday
                then (calendar.workday_index - 1) * 86400
                    + datediff('second', as_of.as_of_at::date, as_of.as_of_at)
            else calendar.workday_index * 86400
        end as as_of_clock
    from as_of
    left join calendar on calendar.calendar_date = as_of.as_of_at::date
)

select * from final
