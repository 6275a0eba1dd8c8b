-- mart_open_tickets: one row per ticket still open at the as-of time (in hand, 重办 included, or 已退单;
-- never a voided one, 已撤销), with its effective deadline
-- (the export's, or derived from the appeal type in working days) and how far past or before it the
-- ticket is, in working days. Stored in receipt order, so a list of one receipt window reads only its
-- rows. No personal data: caller, phone, address and free text stay in ticket_pii.
create or replace table mart_open_tickets as
with

facts as (
    select * from int_ticket_facts where not is_closed and not is_voided
),

grids as (
    select grid_code, grid_name from dim_grids
),

final as (
    select
        facts.ticket_id,
        facts.received_at,
        facts.source,
        facts.appeal_type,
        facts.category_l1,
        facts.category_l2,
        facts.department,
        facts.street_code,
        facts.street_name,
        facts.community_code,
        facts.community_name,
        facts.grid_code,
        coalesce(grids.grid_name, facts.grid_code) as grid_name,
        facts.effective_due_at as due_at,
        facts.is_due_derived,
        facts.is_returned,
        facts.is_overdue,
        facts.is_near_deadline,
        facts.overdue_workdays,
        facts.remaining_workdays
    from facts
    left join grids on grids.grid_code = facts.grid_code
)

select * from final
order by received_at, ticket_id
