-- 重复诉求 in a window, one row: the citizens' requests received from $start to $end (inclusive; tickets of
-- the proactive sources, 未诉先办, are not a citizen calling and are left out: mart_ticket_values), how
-- many of them repeat an earlier request of the same caller and category (mart_repeat_requests), from how
-- many callers, and the same for the window before (from $previous_start up to $previous_end, or up to $start
-- when that is null: a month under way is compared with the same days of the month before). The previous
-- figures are null when $previous_start is null or that window has no requests (before the data began);
-- the current counts are 0, not null, when nothing matches.
with

proactive as (
    select value as proactive_source from mart_ticket_values where field = 'proactive_source'
),

tickets as (
    select received_at >= $start as is_current
    from fct_tickets
    where received_at >= coalesce($previous_start, $start)
        and received_at < $end::date + interval 1 day
        and ($previous_end is null or received_at < $previous_end or received_at >= $start)
        and source not in (select proactive_source from proactive)
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
        and ($previous_end is null or received_at < $previous_end or received_at >= $start)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
),

ticket_counts as (
    select
        count(*) filter (where is_current) as ticket_count,
        count(*) filter (where not is_current) as previous_ticket_count
    from tickets
),

repeat_counts as (
    select
        count(*) filter (where is_current) as repeat_count,
        count(distinct caller_no) filter (where is_current) as caller_count,
        count(*) filter (where not is_current) as previous_repeat_count
    from repeats
),

final as (
    select
        ticket_counts.ticket_count,
        repeat_counts.repeat_count,
        repeat_counts.caller_count,
        100.0 * repeat_counts.repeat_count / nullif(ticket_counts.ticket_count, 0) as repeat_share,
        case when $previous_start is not null and ticket_counts.previous_ticket_count > 0
            then ticket_counts.previous_ticket_count end as previous_ticket_count,
        case when $previous_start is not null and ticket_counts.previous_ticket_count > 0
            then repeat_counts.previous_repeat_count end as previous_repeat_count,
        case when $previous_start is not null and ticket_counts.previous_ticket_count > 0
            then 100.0 * repeat_counts.previous_repeat_count / ticket_counts.previous_ticket_count end
            as previous_repeat_share
    from ticket_counts
    cross join repeat_counts
)

select * from final
