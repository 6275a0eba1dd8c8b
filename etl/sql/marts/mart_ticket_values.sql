-- mart_ticket_values: the values the tickets hold for the filters' choices, with how many tickets hold
-- each (all time): the sidebar's 诉求来源 and 一级分类, and the ticket list's 二级分类 (within their
-- first-level category). A page would otherwise group every ticket for them: 5M tickets, 40-60 ms each.
-- Also the sources that find problems first (未诉先办, $proactive_sources in config/rules.toml) that the
-- tickets hold: queries that count citizens' requests leave these out.
--   field          source | category_l1 | category_l2 | proactive_source
--   category_l1    for a category_l2 row, its first-level category (null when the ticket has none);
--                  null on the other rows
--   value          the value (tickets without one are not counted)
--   ticket_count   tickets with it
create or replace table mart_ticket_values as
with

tickets as (
    select source, category_l1, category_l2 from fct_tickets
),

final as (
    select 'source' as field, null::varchar as category_l1, source as value, count(*) as ticket_count
    from tickets
    where source is not null
    group by source
    union all
    select 'category_l1', null, category_l1, count(*)
    from tickets
    where category_l1 is not null
    group by category_l1
    union all
    select 'category_l2', category_l1, category_l2, count(*)
    from tickets
    where category_l2 is not null
    group by category_l1, category_l2
    union all
    select 'proactive_source', null, source, count(*)
    from tickets
    where list_contains($proactive_sources::varchar[], source)
    group by source
)

select * from final
order by field, category_l1, value
