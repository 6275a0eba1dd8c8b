-- 重复诉求 in a window, one row: the tickets received from $start to $end (inclusive), how many of them
-- repeat an earlier request of the same caller and category (mart_repeat_requests), from how many
-- callers, and the same for the window before (from $previous_start up to $start; null when
-- $previous_start is null). Counts are 0, not null, when nothing matches.
with

tickets as (
    select received_at >= $start as is_current
    from fct_tickets
    where received_at >= coalesce($previous_start, $start)
        and received_at < $end::date + interval 1 day
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
),

repeats as (
    select received_at >= $start as is_current, caller_no
    from mart_repeat_requests
    where received_at >= coalesce($previous_start, $start)
        and received_at < $end::date + interval 1 day
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
),

ticket_counts as (
    select
        count(*) filter (where is_current) as ticket_count,
        case when $previous_start is not null then count(*) filter (where not is_current) end as previous_ticket_count
    from tickets
),

repeat_counts as (
    select
        count(*) filter (where is_current) as repeat_count,
        count(distinct caller_no) filter (where is_current) as caller_count,
        case when $previous_start is not null then count(*) filter (where not is_current) end as previous_repeat_count
    from repeats
),

final as (
    select
        ticket_counts.ticket_count,
        repeat_counts.repeat_count,
        repeat_counts.caller_count,
        100.0 * repeat_counts.repeat_count / nullif(ticket_counts.ticket_count, 0) as repeat_share,
        ticket_counts.previous_ticket_count,
        repeat_counts.previous_repeat_count,
        100.0 * repeat_counts.previous_repeat_count / nullif(ticket_counts.previous_ticket_count, 0) as previous_repeat_share
    from ticket_counts
    cross join repeat_counts
)

select * from final
