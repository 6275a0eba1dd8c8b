-- Open tickets past (or close to) their deadline at the as-of time, oldest overdue first.
-- No personal data: no caller, phone, address or free text.
with

open_tickets as not materialized (
    select *
    from mart_open_tickets
    where ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($category_l1 is null or category_l1 = $category_l1)
        and ($source is null or source = $source)
        and case $state
            when 'overdue' then is_overdue
            when 'near_deadline' then is_near_deadline
            else not coalesce(is_returned, false)   -- open: in hand, not returned to be dispatched again
        end
),

final as not materialized (
    select
        ticket_id,
        received_at,
        source,
        appeal_type,
        category_l1,
        category_l2,
        department,
        street_name,
        community_name,
        grid_code,
        grid_name,
        due_at,
        is_due_derived,
        is_overdue,
        is_near_deadline,
        overdue_workdays,
        remaining_workdays
    from open_tickets
),

-- total_count: every matching ticket, before the limit (the 超期在办 tile). Counted apart from the page:
-- a window count over every row would keep them all in memory before the top-N could start.
counted as (
    select count(*) as total_count from final
),

page as (
    select *
    from final
    order by overdue_workdays desc nulls last, remaining_workdays nulls last, ticket_id
    limit $limit
)

select page.*, counted.total_count
from page
cross join counted
order by overdue_workdays desc nulls last, remaining_workdays nulls last, ticket_id
