-- 重复来电: one row per caller and first-level category with repeat requests (mart_repeat_requests)
-- received from $start to $end (inclusive), most repeats first. The caller is a number (caller_no),
-- never a name or phone. first_ticket_id is the request the window's first repeat came back to (it
-- may lie before the window; null, with its time, when it lies outside the area asked for: a page for one
-- grid says nothing of another's tickets); last_ticket_id the latest repeat; the place is the latest repeat's.
with

repeats as (
    select *
    from mart_repeat_requests
    {{include parts/ticket_filters.sql}}
),

ordered as (
    select
        *,
        row_number() over (partition by caller_no, category_l1 order by received_at, ticket_id) as first_order,
        row_number() over (partition by caller_no, category_l1 order by received_at desc, ticket_id desc) as last_order,
        ($street_code is null or previous_street_code = $street_code)
            and ($community_code is null or previous_community_code = $community_code)
            and ($grid_code is null or previous_grid_code = $grid_code) as in_area
    from repeats
),

callers as (
    select
        caller_no,
        category_l1,
        count(*) as repeat_count,
        min(days_since_previous) as shortest_gap_days,
        max(previous_ticket_id) filter (where first_order = 1 and in_area) as first_ticket_id,
        max(previous_received_at) filter (where first_order = 1 and in_area) as first_received_at,
        max(ticket_id) filter (where last_order = 1) as last_ticket_id,
        max(received_at) filter (where last_order = 1) as last_received_at,
        max(street_name) filter (where last_order = 1) as street_name,
        max(community_name) filter (where last_order = 1) as community_name,
        max(grid_code) filter (where last_order = 1) as grid_code
    from ordered
    group by caller_no, category_l1
),

final as (
    select
        row_number() over (order by callers.repeat_count desc, callers.last_received_at desc, callers.caller_no,
            callers.category_l1) as rank,
        callers.caller_no,
        callers.category_l1,
        callers.repeat_count,
        callers.shortest_gap_days,
        callers.first_ticket_id,
        callers.first_received_at,
        callers.last_ticket_id,
        callers.last_received_at,
        callers.street_name,
        callers.community_name,
        callers.grid_code,
        coalesce(grids.grid_name, callers.grid_code) as grid_name
    from callers
    left join dim_grids as grids on grids.grid_code = callers.grid_code
)

select * from final
order by rank
limit $limit
