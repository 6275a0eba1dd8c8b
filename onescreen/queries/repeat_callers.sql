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

-- Ranked from the counts alone (one cheap aggregate), then the first and last repeat looked up for the
-- $limit callers shown only (materialized, so the windows below do not run over every caller's repeats).
counts as (
    select
        caller_no,
        category_l1,
        count(*) as repeat_count,
        min(days_since_previous) as shortest_gap_days,
        max(received_at) as last_received_at
    from repeats
    group by caller_no, category_l1
),

shown as materialized (
    select *
    from (
        select
            row_number() over (order by repeat_count desc, last_received_at desc, caller_no, category_l1) as rank,
            *
        from counts
    ) as ranked
    where rank <= $limit
),

ordered as (
    select
        repeats.*,
        row_number() over (partition by repeats.caller_no, repeats.category_l1
            order by repeats.received_at, repeats.ticket_id) as first_order,
        row_number() over (partition by repeats.caller_no, repeats.category_l1
            order by repeats.received_at desc, repeats.ticket_id desc) as last_order,
        ($street_code is null or repeats.previous_street_code = $street_code)
            and ($community_code is null or repeats.previous_community_code = $community_code)
            and ($grid_code is null or repeats.previous_grid_code = $grid_code) as in_area
    from repeats
    inner join shown on shown.caller_no = repeats.caller_no and shown.category_l1 = repeats.category_l1
),

callers as (
    select
        caller_no,
        category_l1,
        max(previous_ticket_id) filter (where first_order = 1 and in_area) as first_ticket_id,
        max(previous_received_at) filter (where first_order = 1 and in_area) as first_received_at,
        max(ticket_id) filter (where last_order = 1) as last_ticket_id,
        max(street_name) filter (where last_order = 1) as street_name,
        max(community_name) filter (where last_order = 1) as community_name,
        max(grid_code) filter (where last_order = 1) as grid_code
    from ordered
    group by caller_no, category_l1
),

final as (
    select
        shown.rank,
        shown.caller_no,
        shown.category_l1,
        shown.repeat_count,
        shown.shortest_gap_days,
        callers.first_ticket_id,
        callers.first_received_at,
        callers.last_ticket_id,
        shown.last_received_at,
        callers.street_name,
        callers.community_name,
        callers.grid_code,
        coalesce(grids.grid_name, callers.grid_code) as grid_name
    from shown
    inner join callers on callers.caller_no = shown.caller_no and callers.category_l1 = shown.category_l1
    left join dim_grids as grids on grids.grid_code = callers.grid_code
)

select * from final
order by rank
limit $limit
