-- mart_meta: one row saying how fresh the marts are and which rules built them.
--   as_of          newest event time in the loaded tickets (数据截至), null when there are none
--   built_at       wall-clock time of this build (local, naive)
--   rules_digest   first 12 hex digits of SHA-256 of the rules JSON
--   rules_json     the rules in force at build time (targets for the KPI tiles come from here)
--   sql_digest     first 12 hex digits of SHA-256 of the mart SQL (etl/sql/marts/*.sql) that built them
create or replace table mart_meta as
with

as_of as (
    select as_of_at from tmp_as_of
),

tickets as (
    select count(*) as ticket_count from fct_tickets
),

calendar_gaps as (
    select count(distinct received_at::date) as missing_calendar_days
    from fct_tickets
    where received_at::date not in (select calendar_date from dim_calendar)
),

final as (
    select
        as_of.as_of_at as as_of,
        $built_at::timestamp as built_at,
        $rules_digest::varchar as rules_digest,
        $rules_json::varchar as rules_json,
        $sql_digest::varchar as sql_digest,
        tickets.ticket_count,
        calendar_gaps.missing_calendar_days
    from as_of
    cross join tickets
    cross join calendar_gaps
)

select * from final
