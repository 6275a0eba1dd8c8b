-- Tickets per first-level category ({{by}} = category_l1), or per request source ({{by}} = source: where the
-- problems were found, 未诉先办), this period and the previous one, with shares (0-100), for the whole
-- district or a street, community or grid. Read from fct_tickets (filtered by period), since the marts keep
-- categories and sources district-wide only. The column keeps the name of {{by}}. The previous window
-- ($previous_start up to $previous_end) ends where this one starts, or before it (the same days of the month
-- before, for a month under way).
with

tickets as (
    select {{by}} as value, received_at
    from fct_tickets
    where received_at >= $previous_start
        and received_at < $period_end
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
),

counts as (
    select
        coalesce(value, '未分类') as value,
        count(*) filter (received_at >= $period_start) as ticket_count,
        count(*) filter (received_at < $previous_end) as previous_ticket_count
    from tickets
    group by all
),

final as (
    select
        value as {{by}},
        ticket_count,
        100.0 * ticket_count / nullif(sum(ticket_count) over (), 0) as share,
        previous_ticket_count,
        100.0 * previous_ticket_count / nullif(sum(previous_ticket_count) over (), 0) as previous_share,
        ticket_count - previous_ticket_count as change,
        100.0 * (ticket_count - previous_ticket_count) / nullif(previous_ticket_count, 0) as change_pct
    from counts
)

select * from final
order by ticket_count desc, previous_ticket_count desc, {{by}}
limit $limit
