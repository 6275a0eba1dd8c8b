-- 高频问题 (类诉齐办): places where the same first-level category keeps coming back. A place is the
-- compound recognised in the address, else the masked address (address_area, up to the house number); tickets
-- with neither are left out, and so are voided tickets (status 已撤销: no request, see mart_repeat_requests).
-- Current window: received from $start to $end (inclusive); previous window:
-- from $previous_start up to $previous_end, or up to $start when that is null (none when $previous_start is
-- null; a month under way is compared with the same days of the month before). Places with at least
-- $min_count tickets of one category in the current window, most tickets first. $compounds_only: compounds alone
-- (the big screen's tier shows no address), ranked among themselves.
with

compounds as (
    select compound_code, compound_name from dim_compounds
),

-- (Read twice, for the counts and for the recurring places: reading is cheaper than keeping it. The
-- counts read only received_at, category_l1, status and place_hash: the place as a number (see place_hash in
-- etl/sql/schema.sql), which groups several times faster than its text.)
tickets as not materialized (
    select
        t.received_at,
        coalesce(t.category_l1, '未分类') as category_l1,
        t.place_hash,
        case when t.compound_code is not null then 'compound' else 'address' end as place_type,
        coalesce(t.compound_code, t.address_area) as place_key,
        t.street_name,
        t.community_name,
        t.grid_code,
        $start is null or t.received_at >= $start as is_current
    from fct_tickets as t
    where t.place_hash is not null
        and coalesce(t.status, '') <> '已撤销'
        and (not $compounds_only or t.compound_code is not null)
        and (t.received_at >= coalesce($previous_start, $start) or coalesce($previous_start, $start) is null)
        and ($previous_end is null or t.received_at < $previous_end or t.received_at >= $start)
        and ($end is null or t.received_at < $end::date + interval 1 day)
        and ($street_code is null or t.street_code = $street_code)
        and ($community_code is null or t.community_code = $community_code)
        and ($grid_code is null or t.grid_code = $grid_code)
        and ($source is null or t.source = $source)
        and ($category_l1 is null or t.category_l1 = $category_l1)
),

-- Each place and category with its counts; only those seen at least $min_count times in the current
-- window go on (most places have one or two tickets: the work below is for the recurring ones only).
-- Counts only: grouping 800k tickets is most of the query, and each aggregate added to it costs there; the
-- first and last receipt are taken from the shown places' tickets (days, below).
counts as (
    select
        place_hash,
        category_l1,
        count(*) filter (is_current) as ticket_count,
        count(*) filter (not is_current) as previous_ticket_count
    from tickets
    group by place_hash, category_l1
    having count(*) filter (is_current) >= $min_count
),

-- The list is ordered by count, then change, then the place's name. A place ranked below $limit by
-- count and change (rank(): ties share it) cannot be shown whatever its name, so only this pool is named.
pool as (
    select *
    from (
        select *, rank() over (order by ticket_count desc, ticket_count - previous_ticket_count desc) as count_rank
        from counts
    ) as ranked_counts
    where count_rank <= $limit
),

-- The pool's current tickets, read again by number: their place text, days and units.
-- Materialized: otherwise DuckDB groups every current ticket by place and unit before this join
-- (measured 100 ms of a 250 ms query at 5M tickets) instead of only the pool's tickets.
recurring as materialized (
    select tickets.*
    from tickets
    inner join (select place_hash as r_hash, category_l1 as r_category from pool) as keys
        on keys.r_hash = tickets.place_hash and keys.r_category = tickets.category_l1
    where tickets.is_current
),

places as (
    select place_hash as n_hash, category_l1 as n_category, min(place_type) as place_type, min(place_key) as place_key
    from recurring
    group by place_hash, category_l1
),

-- The places in the order the list shows them, and only the first $limit.
ranked as (
    select
        row_number() over (order by ticket_count desc, ticket_count - previous_ticket_count desc,
            place_name, category_l1) as rank,
        *
    from (
        select pool.*, places.place_type, places.place_key,
            -- the compound's name (else its code), or the masked address itself
            case when places.place_type = 'compound' then coalesce(compounds.compound_name, places.place_key)
                else places.place_key end as place_name
        from pool
        inner join places on places.n_hash = pool.place_hash and places.n_category = pool.category_l1
        left join compounds on compounds.compound_code = places.place_key and places.place_type = 'compound'
    ) as named
),

shown as (
    select * from ranked where rank <= $limit
),

days as (
    select place_hash as d_hash, category_l1 as d_category, count(distinct received_at::date) as day_count,
        min(received_at) as first_received_at, max(received_at) as last_received_at
    from recurring
    group by place_hash, category_l1
),

-- Where a place is: the street, community and grid most of its current tickets name (ties: the first
-- by code), taken together so they never disagree.
units as (
    select place_hash, category_l1, street_name, community_name, grid_code, count(*) as unit_count
    from recurring
    group by place_hash, category_l1, street_name, community_name, grid_code
),

main_unit as (
    select *
    from (
        select *, row_number() over (partition by place_hash, category_l1
            order by unit_count desc, grid_code nulls last, community_name nulls last, street_name nulls last) as unit_rank
        from units
    ) as ranked_units
    where unit_rank = 1
),

grids as (
    select grid_code, grid_name from dim_grids
),

final as (
    select
        shown.rank,
        shown.place_type,
        shown.place_key,
        shown.place_name,
        shown.category_l1,
        main_unit.street_name,
        main_unit.community_name,
        main_unit.grid_code,
        coalesce(grids.grid_name, main_unit.grid_code) as grid_name,
        shown.ticket_count,
        shown.previous_ticket_count,
        shown.ticket_count - shown.previous_ticket_count as change,
        100.0 * (shown.ticket_count - shown.previous_ticket_count) / nullif(shown.previous_ticket_count, 0) as change_pct,
        days.day_count,
        days.first_received_at,
        days.last_received_at
    from shown
    left join days on days.d_hash = shown.place_hash and days.d_category = shown.category_l1
    left join main_unit on main_unit.place_hash = shown.place_hash and main_unit.category_l1 = shown.category_l1
    left join grids on grids.grid_code = main_unit.grid_code
)

select * from final
order by rank
limit $limit
