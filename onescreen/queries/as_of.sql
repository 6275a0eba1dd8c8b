-- The freshness line every screen shows: 数据截至 as_of, when the marts were built and with which rules.
with

meta as (
    select * from mart_meta
),

final as (
    select as_of, built_at, rules_digest, ticket_count, missing_calendar_days
    from meta
)

select * from final
