-- The tickets behind any number: at most $limit rows in the chosen order, with the number that matched
-- in total_count. Status is at the as-of time (open, overdue, near deadline from mart_open_tickets).
-- The only query that reads ticket_pii, and only for the rows returned: its registry entry masks those
-- fields (onescreen.tickets.mask_tickets) before the frame leaves run_query.
with

tickets as (
    select *
    from fct_tickets
    where ($received_from is null or received_at >= $received_from)
        and ($received_before is null or received_at < $received_before)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
        and ($category_l2 is null or category_l2 = $category_l2)
        and ($ticket_id is null or contains(lower(ticket_id), lower(trim($ticket_id))))
        and ($compound_code is null or compound_code = $compound_code)
),

-- Only the columns the list adds, under names of their own: tickets.* must stay unambiguous when
-- joined (ClickHouse names a clashing column "tickets.x").
open_tickets as (
    select ticket_id as open_ticket_id, due_at as open_due_at, is_due_derived, is_overdue, is_near_deadline,
        overdue_workdays, remaining_workdays
    from mart_open_tickets
),

derived_deadlines as (
    select ticket_id as derived_ticket_id, due_at as derived_due_at from mart_derived_deadlines
),

grids as (
    select grid_code, grid_name from dim_grids
),

personal as (
    select ticket_id, caller_name, caller_phone, address, content from ticket_pii
),

stated as (
    select
        -- due_at is the effective deadline: the export's, or derived from the appeal type (open and
        -- closed tickets), so sorting by due_at picks the page by the deadline the list shows.
        tickets.* replace (coalesce(open_tickets.open_due_at, derived_deadlines.derived_due_at, tickets.due_at) as due_at),
        open_tickets.open_ticket_id is not null as is_open,
        coalesce(open_tickets.is_due_derived, derived_deadlines.derived_ticket_id is not null) as is_due_derived,
        coalesce(open_tickets.is_overdue, false) as is_overdue,
        coalesce(open_tickets.is_near_deadline, false) as is_near_deadline,
        open_tickets.overdue_workdays,
        open_tickets.remaining_workdays
    from tickets
    left join open_tickets on open_tickets.open_ticket_id = tickets.ticket_id
    left join derived_deadlines on derived_deadlines.derived_ticket_id = tickets.ticket_id
),

filtered as (
    select *
    from stated
    where case $status
        when 'open' then is_open
        when 'overdue' then is_overdue
        when 'near_deadline' then is_near_deadline
        when 'closed' then not is_open
        else true
    end
),

-- The count apart from the page: a window count over every matching row would keep them all (with
-- all their columns) in memory before the top-N could start.
counted as (
    select count(*) as total_count from filtered
),

page as (
    select filtered.*, counted.total_count
    from (
        select *
        from filtered
        order by {{sort}} {{order}} nulls last, ticket_id
        limit $limit
    ) as filtered
    cross join counted
),

final as (
    select
        page.ticket_id,
        page.received_at,
        page.dispatched_at,
        page.responded_at,
        page.resolved_at,
        page.callback_at,
        page.due_at,
        page.is_due_derived,
        page.status,
        page.is_open,
        page.is_overdue,
        page.is_near_deadline,
        page.overdue_workdays,
        page.remaining_workdays,
        not page.is_open and page.resolved_at > page.due_at as is_closed_late,
        page.source,
        page.appeal_type,
        page.category_l1,
        page.category_l2,
        page.department,
        page.handling_level,
        page.is_resolved,
        page.satisfaction,
        page.has_timeline_error,
        page.street_name,
        page.community_name,
        page.grid_code,
        coalesce(grids.grid_name, page.grid_code) as grid_name,
        personal.caller_name,
        personal.caller_phone,
        coalesce(personal.address, page.address_area) as address,
        personal.content,
        page.total_count
    from page
    left join personal on personal.ticket_id = page.ticket_id
    left join grids on grids.grid_code = page.grid_code
)

select * from final
order by {{sort}} {{order}} nulls last, ticket_id
