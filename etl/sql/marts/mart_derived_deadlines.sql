-- mart_derived_deadlines: one row per closed ticket whose export carried no deadline, with the deadline
-- derived from its appeal type in working days (the rule in config/rules.toml) and whether it was
-- closed late. Open tickets have theirs in mart_open_tickets; tickets with a deadline in the export need
-- none. The ticket list reads this so a closed ticket is flagged 逾期办结 by the same rule as the rates.
-- Stored in receipt order with received_at, so the list reads only the rows of its receipt window.
create or replace table mart_derived_deadlines as
with

facts as (
    select * from int_ticket_facts where is_closed and is_due_derived
),

final as (
    select
        facts.ticket_id,
        facts.received_at,
        facts.effective_due_at as due_at,
        facts.is_closed_late
    from facts
)

select * from final
order by received_at, ticket_id
