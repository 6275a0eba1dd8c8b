-- The rules the marts were built with (a page's legend must state these, not the file edited since).
with

meta as (
    select as_of, built_at, rules_digest, rules_json from mart_meta
),

final as (
    select * from meta
)

select * from final
