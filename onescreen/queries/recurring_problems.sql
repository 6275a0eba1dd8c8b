-- 高频问题 (类诉齐办): places where the same first-level category keeps coming back. A place is the
-- compound recognised in the address, else the address cut to compound or road (address_area); tickets
-- with neither are left out. Current window: received from $start to $end (inclusive); previous window:
-- from $previous_start up to $start (none when $previous_start is null). Places with at least
-- $min_count tickets of one category in the current window, most tickets first.
with

compounds as (
    select compound_code, compound_name from dim_compounds
),

-- (Read twice, for the counts and for the recurring places: reading is cheaper than keeping it.)
tickets as not materialized (
    select
        t.received_at,
        coalesce(t.category_l1, '未分类') as category_l1,
        case when t.compound_code is not null then 'compound' else 'address' end as place_type,
        coalesce(t.compound_code, t.address_area) as place_key,
        t.street_name,
        t.community_name,
        t.grid_code,
        $start is null or t.received_at >= $start as is_current
    from fct_tickets as t
    where coalesce(t.compound_code, t.address_area) is not null
        and (t.received_at >= coalesce($previous_start, $start) or coalesce($previous_start, $start) is null)
        and ($end is null or t.received_at < $end::date + interval 1 day)
        and ($street_code is null or t.street_code = $street_code)
        and ($community_code is null or t.community_code = $community_code)
        and ($grid_code is null or t.grid_code = $grid_code)
        and ($source is null or t.source = $source)
        and ($category_l1 is null or t.category_l1 = $category_l1)
),

-- Each place and category with its counts; only those seen at least $min_count times in the current
-- window go on (most places have one or two tickets: the work below is for the recurring ones only).
counts as (
    select
        place_type,
        place_key,
        category_l1,
        count(*) filter (is_current) as ticket_count,
        count(*) filter (not is_current) as previous_ticket_count,
        min(received_at) filter (is_current) as first_received_at,
        max(received_at) filter (is_current) as last_received_at
    from tickets
    group by place_type, place_key, category_l1
    having count(*) filter (is_current) >= $min_count
),

-- The places in the order the list shows them, and only the first $limit: the work below (days, and
-- where each place is) is for the rows shown, not for every recurring place.
ranked as (
    select
        row_number() over (order by ticket_count desc, ticket_count - previous_ticket_count desc,
            place_name, category_l1) as rank,
        *
    from (
        select counts.*,
            -- the compound's name (else its code), or the masked address itself
            case when counts.place_type = 'compound' then coalesce(compounds.compound_name, counts.place_key)
                else counts.place_key end as place_name
        from counts
        left join compounds on compounds.compound_code = counts.place_key and counts.place_type = 'compound'
    ) as named
),

shown as (
    select * from ranked where rank <= $limit
),

-- Materialized: otherwise DuckDB groups every current ticket by place and unit before this join
-- (measured 100 ms of a 250 ms query at 5M tickets) instead of only the shown places' tickets.
recurring as materialized (
    select tickets.*
    from tickets
    inner join (select place_type as r_type, place_key as r_key, category_l1 as r_category from shown) as keys
        on keys.r_type = tickets.place_type and keys.r_key = tickets.place_key and keys.r_category = tickets.category_l1
    where tickets.is_current
),

days as (
    select place_type as d_type, place_key as d_key, category_l1 as d_category,
        count(distinct received_at::date) as day_count
    from recurring
    group by place_type, place_key, category_l1
),

-- Where a place is: the street, community and grid most of its current tickets name (ties: the first
-- by code), taken together so they never disagree.
units as (
    select place_type, place_key, category_l1, street_name, community_name, grid_code, count(*) as unit_count
    from recurring
    group by place_type, place_key, category_l1, street_name, community_name, grid_code
),

main_unit as (
    select *
    from (
        select *, row_number() over (partition by place_type, place_key, category_l1
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
        shown.first_received_at,
        shown.last_received_at
    from shown
    left join days on days.d_type = shown.place_type and days.d_key = shown.place_key
        and days.d_category = shown.category_l1
    left join main_unit on main_unit.place_type = shown.place_type and main_unit.place_key = shown.place_key
        and main_unit.category_l1 = shown.category_l1
    left join grids on grids.grid_code = main_unit.grid_code
)

select * from final
order by rank
limit $limit
