-- mart_repeat_requests: one row per repeat request (重复诉求): a ticket whose caller (the same phone number)
-- made a request of the same first-level category in the $repeat_window_days calendar days before it
-- (config/rules.toml, repeat.window_days). The row names the earlier ticket, not the caller: callers
-- are numbered (caller_no, by their first ticket) so the pages can group a caller's requests without any
-- personal data leaving ticket_pii. Tickets without a phone number (or with fewer than 7 digits) are
-- never repeats: a number is the only thing that says two calls came from one person.
-- The number is compared without spaces, dashes and brackets, and without a leading +86 or 86 on a
-- 13-digit number; a landline with and without its area code counts as two numbers.
-- Stored in receipt order: the pages read one receipt window.
create or replace table mart_repeat_requests as
with

numbers as (
    select
        ticket_id,
        replace(replace(replace(replace(replace(replace(caller_phone, ' ', ''), '-', ''), '(', ''), ')', ''),
            '（', ''), '）', '') as digits
    from ticket_pii
    where caller_phone is not null
),

callers as (
    select
        ticket_id,
        case
            when starts_with(digits, '+86') then substr(digits, 4)
            when length(digits) = 13 and starts_with(digits, '86') then substr(digits, 3)
            else digits
        end as caller
    from numbers
),

calls as (
    select
        tickets.ticket_id,
        tickets.received_at,
        tickets.street_code,
        tickets.street_name,
        tickets.community_code,
        tickets.community_name,
        tickets.grid_code,
        tickets.source,
        coalesce(tickets.category_l1, '未分类') as category_l1,
        tickets.category_l2,
        callers.caller
    from fct_tickets as tickets
    inner join callers on callers.ticket_id = tickets.ticket_id
    where length(callers.caller) >= 7
),

-- Each call with the caller's call of the same category just before it.
sequenced as (
    select
        *,
        lag(ticket_id) over (partition by caller, category_l1 order by received_at, ticket_id) as previous_ticket_id,
        lag(received_at) over (partition by caller, category_l1 order by received_at, ticket_id) as previous_received_at,
        min(ticket_id) over (partition by caller) as caller_first_ticket_id
    from calls
),

repeats as (
    select *
    from sequenced
    where previous_ticket_id is not null and previous_ticket_id <> ''
        and previous_received_at >= received_at - to_days($repeat_window_days)
),

-- Callers numbered by their first ticket (a number that says nothing about the phone number).
numbered as (
    select caller_first_ticket_id, row_number() over (order by caller_first_ticket_id) as caller_no
    from (select distinct caller_first_ticket_id from repeats) as firsts
),

final as (
    select
        repeats.ticket_id,
        repeats.received_at,
        repeats.street_code,
        repeats.street_name,
        repeats.community_code,
        repeats.community_name,
        repeats.grid_code,
        repeats.source,
        repeats.category_l1,
        repeats.category_l2,
        numbered.caller_no,
        repeats.previous_ticket_id,
        repeats.previous_received_at,
        date_diff('day', repeats.previous_received_at::date, repeats.received_at::date) as days_since_previous
    from repeats
    inner join numbered on numbered.caller_first_ticket_id = repeats.caller_first_ticket_id
)

select * from final
order by received_at, ticket_id
