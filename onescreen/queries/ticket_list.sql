-- The tickets behind any number: page $page (from 1) of $limit rows in the chosen order, with the number
-- that matched in total_count. Ties, and the rows the sort column is empty for, follow in receipt order (oldest
-- first): by overdue_workdays the overdue tickets come most overdue first, then those not yet due, oldest first
-- (the review pack's 最久未办结的工单). Every `order by` below is the same and must stay so (pages would overlap). Status is at the as-of time (open, overdue, near deadline from mart_open_tickets).
-- $unassigned (a level of mart_rates: street, community, grid, department, category): only the tickets that hold
-- no unit of that level, as its 'unassigned' rows count them (街道不明, 社区不明, 未落格, 未注明承办单位, 未分类); with the
-- area filters, the 未落格 / 社区不明 row of a breakdown narrowed to that area (parts/rates_breakdown_remainder.sql).
-- The only query that reads ticket_pii, and only for the rows returned: its registry entry masks those
-- fields (onescreen.tickets.mask_tickets) before the frame leaves run_query.
with

-- $property_complaint: only the property complaints as 物业红黑榜 counts them (mart_company_rankings, and
-- company_compound_complaints for a compound), by the rules the marts were built with: a property category, and
-- one of the appeal types or none (marts built before appeal types were a rule counted every type).
-- As two lists (one row): filtered by list_contains, which is skipped when $property_complaint is false. An
-- `in (select ...)` was a join over every matching ticket even then (500 rows of a month at 5M: 45 -> 69 ms).
property_rules as (
    select
        from_json(json_extract(rules_json, '$.property.categories'), '["VARCHAR"]') as categories,
        coalesce(from_json(json_extract(rules_json, '$.property.appeal_types'), '["VARCHAR"]'), []) as appeal_types
    from mart_meta
),

-- The matching tickets, only the columns that choose and order the page: the page's other columns are
-- read for its rows alone (a month at 5M tickets is 100k rows; all their columns would be most of the time).
tickets as not materialized (
    select ticket_id, received_at, due_at, null::integer as overdue_workdays, null::integer as remaining_workdays,
        coalesce(status = '已撤销', false) as is_voided
    from fct_tickets
    -- 已撤销 (voided) is a status of the export, in no mart: read from the tickets alone.
    where ('{{status}}' <> 'voided' or coalesce(status = '已撤销', false))
        and ($received_from is null or received_at >= $received_from)
        and ($received_before is null or received_at < $received_before)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
        and ($category_l2 is null or category_l2 = $category_l2)
        and ($ticket_id is null or contains(lower(ticket_id), lower(trim($ticket_id))))
        and ($compound_code is null or compound_code = $compound_code)
        and ($unassigned is null or case $unassigned when 'street' then street_code is null
            when 'community' then community_code is null when 'grid' then grid_code is null
            when 'department' then department is null when 'category' then category_l1 is null end)
        and (not $property_complaint
            or (list_contains((select categories from property_rules), category_l1)
                and coalesce(status, '') <> '已撤销'   -- a voided ticket is no complaint (mart_company_rankings)
                and (appeal_type is null
                    or array_length((select appeal_types from property_rules)) = 0
                    or list_contains((select appeal_types from property_rules), appeal_type))))
),

-- Newest first: tickets are stored in receipt order, oldest first, so a top-N by received_at desc takes every
-- matching row into its heap (a month at 5M tickets: 16 ms). Counting them per day (3 ms) finds the day the
-- pages so far begin on; the top-N then reads from that day on (6 ms in all). Oldest first needs no help.
page_days as (
    select cast(received_at as date) as day, count(*) as day_count
    from tickets
    where '{{status}}' = 'all' and '{{sort}}' = 'received_at' and '{{order}}' = 'desc'
    group by cast(received_at as date)
),

-- (Any other order: no bound. Written as a plain comparison, not an `or`: only that reaches the scan.)
first_page_day as (
    select coalesce(cast(min(day) as timestamp), cast('1900-01-01' as timestamp)) as day
    from (select day, sum(day_count) over (order by day desc) - day_count as newer_count from page_days) as days
    where newer_count < $limit * $page
),

-- When neither the status nor the order needs the marts (every status, by receipt time or number),
-- the page is the first rows of the tickets themselves, and only they are joined to the marts.
by_ticket as (
    select *
    from tickets
    where '{{status}}' = 'all' and '{{sort}}' in ('received_at', 'ticket_id')
        and received_at >= (select day from first_page_day)
    order by {{sort}} {{order}} nulls last, received_at, ticket_id
    limit $limit * $page
),

-- A list of open tickets is read from the open-ticket mart alone: it carries the same filter columns and
-- every status column, and holds far fewer rows than the tickets. Its filters repeat those of `tickets`
-- and must stay the same (tests/test_metric_queries.py checks each filter on both). One union of the
-- two sources filtered once was measured 2x slower for an all-time list: the count no longer reads
-- fct_tickets directly.
open_rows as (
    select ticket_id, received_at, due_at, true as is_open, coalesce(is_returned, false) as is_returned,
        coalesce(is_due_derived, false) as is_due_derived,
        coalesce(is_overdue, false) as is_overdue, coalesce(is_near_deadline, false) as is_near_deadline,
        overdue_workdays, remaining_workdays
    from mart_open_tickets
    where '{{status}}' in ('open', 'overdue', 'near_deadline', 'returned')
        -- 未办结 (open) is in hand: a returned ticket (已退单) waits to be dispatched again and has a status of its own.
        and case '{{status}}' when 'overdue' then is_overdue when 'near_deadline' then is_near_deadline
            when 'returned' then coalesce(is_returned, false) else not coalesce(is_returned, false) end
        and ($received_from is null or received_at >= $received_from)
        and ($received_before is null or received_at < $received_before)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
        and ($category_l2 is null or category_l2 = $category_l2)
        and ($ticket_id is null or contains(lower(ticket_id), lower(trim($ticket_id))))
        and ($compound_code is null
            or ticket_id in (select ticket_id from fct_tickets where compound_code = $compound_code))
        and ($unassigned is null or case $unassigned when 'street' then street_code is null
            when 'community' then community_code is null when 'grid' then grid_code is null
            when 'department' then department is null when 'category' then category_l1 is null end)
        and (not $property_complaint
            or (list_contains((select categories from property_rules), category_l1)
                and (appeal_type is null
                    or array_length((select appeal_types from property_rules)) = 0
                    or list_contains((select appeal_types from property_rules), appeal_type))))
),

-- Every status but the open ones: the first rows of the tickets when neither needs the marts, else
-- all matching tickets.
candidates as (
    select * from by_ticket
    union all
    select * from tickets
    where not ('{{status}}' = 'all' and '{{sort}}' in ('received_at', 'ticket_id'))
        and '{{status}}' not in ('open', 'overdue', 'near_deadline', 'returned')
),

-- The deadline and status the marts give a ticket: open tickets (mart_open_tickets) and closed ones
-- whose deadline was derived (mart_derived_deadlines) are disjoint, so one join finds either. Both are
-- stored in receipt order: the same receipt window reads only its own rows. Names of their own: a join
-- must leave every name unambiguous (ClickHouse names a clashing column "tickets.x").
marked as (
    select ticket_id as marked_ticket_id, due_at as marked_due_at, true as marked_open, is_returned as marked_returned,
        is_due_derived as marked_derived,
        is_overdue as marked_overdue, is_near_deadline as marked_near_deadline, overdue_workdays as marked_overdue_workdays,
        remaining_workdays as marked_remaining_workdays
    from mart_open_tickets
    where '{{status}}' not in ('open', 'overdue', 'near_deadline', 'returned')   -- (open_rows has its own)
        and ($received_from is null or received_at >= $received_from)
        and ($received_before is null or received_at < $received_before)
    union all
    select ticket_id, due_at, false, false, true, false, false, null, null
    from mart_derived_deadlines
    where '{{status}}' not in ('open', 'overdue', 'near_deadline', 'returned')
        and ($received_from is null or received_at >= $received_from)
        and ($received_before is null or received_at < $received_before)
),

-- Each ticket with its status; only those of the chosen status.
filtered as (
    select
        tickets.ticket_id,
        tickets.received_at,
        -- due_at is the effective deadline: the export's, or derived from the appeal type (open and
        -- closed tickets), so sorting by due_at picks the page by the deadline the list shows.
        coalesce(marked.marked_due_at, tickets.due_at) as due_at,
        coalesce(marked.marked_open, false) as is_open,
        coalesce(marked.marked_returned, false) as is_returned,
        coalesce(marked.marked_derived, false) as is_due_derived,
        coalesce(marked.marked_overdue, false) as is_overdue,
        coalesce(marked.marked_near_deadline, false) as is_near_deadline,
        marked.marked_overdue_workdays as overdue_workdays,
        marked.marked_remaining_workdays as remaining_workdays
    from candidates as tickets
    left join marked on marked.marked_ticket_id = tickets.ticket_id
    -- 已办结: neither open nor voided (已撤销: in no mart of work, listed under 全部 with its status).
    where '{{status}}' <> 'closed' or not (coalesce(marked.marked_open, false) or tickets.is_voided)
    union all
    select * from open_rows
),

-- The count apart from the page: a window count over every matching row would keep them all in
-- memory before the top-N could start.
counted as (
    select (select count(*) from tickets where '{{status}}' = 'all')
        + (select count(*) from filtered where '{{status}}' <> 'all') as total_count
),

page as (
    select filtered.*, counted.total_count
    from (
        select *
        from filtered
        order by {{sort}} {{order}} nulls last, received_at, ticket_id
        limit $limit offset ($page - 1) * $limit
    ) as filtered
    cross join counted
),

-- Where the page's rows are. A short page (by_number: at most 50 rows) is found again by its ticket numbers:
-- DuckDB hands a join's keys to the scan as a list when there are at most 50 (dynamic_or_filter_threshold), and
-- the key's index reads just those rows (the 周报's 20 most overdue span months: 108k rows of each table by their
-- receipt window, 57 -> 40 ms at 5M tickets). A longer page lies in a window: tickets and personal data are
-- stored in receipt order, and ticket numbers mostly follow it, so these bounds let each read skip what lies
-- outside them (500 rows of a month by number: 650 ms).
page_bounds as (
    select min(ticket_id) as first_id, max(ticket_id) as last_id,
        min(received_at) as first_received, max(received_at) as last_received
    from page
),

-- The page's rows in full, found again by number.
page_tickets as (
    select ticket_id as full_ticket_id, dispatched_at, responded_at, resolved_at, callback_at, due_workdays, status, source,
        appeal_type, category_l1, category_l2, department, handling_level, is_resolved, satisfaction,
        has_timeline_error, street_name, community_name, grid_code, address_area
    from fct_tickets
{{if by_number}}
    where ticket_id in (select ticket_id from page)
{{end}}
{{if not by_number}}
    where received_at >= (select first_received from page_bounds)
        and received_at <= (select last_received from page_bounds)
{{end}}
),

grids as (
    select grid_code, grid_name from dim_grids
),

personal as (
    select ticket_id, caller_name, caller_phone, address, content from ticket_pii
{{if by_number}}
    where ticket_id in (select ticket_id from page)
{{end}}
{{if not by_number}}
    where ticket_id >= (select first_id from page_bounds)
        and ticket_id <= (select last_id from page_bounds)
{{end}}
),

final as (
    select
        page.ticket_id,
        page.received_at,
        page_tickets.dispatched_at,
        page_tickets.responded_at,
        page_tickets.resolved_at,
        page_tickets.callback_at,
        page.due_at,
        page.is_due_derived,
        -- The export's number of working days, when it gave one: a derived deadline came from it, not the appeal type.
        page_tickets.due_workdays,
        page_tickets.status,
        page.is_open,
        page.is_returned,
        page.is_overdue,
        page.is_near_deadline,
        page.overdue_workdays,
        page.remaining_workdays,
        not page.is_open and page_tickets.resolved_at > page.due_at as is_closed_late,
        page_tickets.source,
        page_tickets.appeal_type,
        page_tickets.category_l1,
        page_tickets.category_l2,
        page_tickets.department,
        page_tickets.handling_level,
        page_tickets.is_resolved,
        page_tickets.satisfaction,
        page_tickets.has_timeline_error,
        page_tickets.street_name,
        page_tickets.community_name,
        page_tickets.grid_code,
        coalesce(grids.grid_name, page_tickets.grid_code) as grid_name,
        personal.caller_name,
        personal.caller_phone,
        coalesce(personal.address, page_tickets.address_area) as address,
        personal.content,
        page.total_count
    from page
    inner join page_tickets on page_tickets.full_ticket_id = page.ticket_id
    left join personal on personal.ticket_id = page.ticket_id
    left join grids on grids.grid_code = page_tickets.grid_code
)

select * from final
order by {{sort}} {{order}} nulls last, received_at, ticket_id
