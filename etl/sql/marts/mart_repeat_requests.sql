-- mart_repeat_requests: one row per repeat request (重复诉求): a ticket whose caller (the same phone number)
-- made a request of the same first-level category in the $repeat_window_days calendar days before it
-- (config/rules.toml, repeat.window_days). The row names the earlier ticket, not the caller: callers
-- are numbered (caller_no, in the order of the earliest ticket their repeats come back to) so the pages
-- can group a caller's requests without any personal data leaving ticket_pii. Tickets without a phone number (or with fewer than 7 digits) are
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

-- Only a caller who called twice or more about a category can repeat it (at 1M tickets: a tenth of the
-- calls to put in order, and the numbering below needs no pass over every call).
twice as (
    select caller as twice_caller, category_l1 as twice_category
    from calls
    group by caller, category_l1
    having count(*) >= 2
),

-- Each such call with the caller's call of the same category just before it.
sequenced as (
    select
        calls.*,
        lag(calls.ticket_id) over (partition by calls.caller, calls.category_l1
            order by calls.received_at, calls.ticket_id) as previous_ticket_id,
        lag(calls.received_at) over (partition by calls.caller, calls.category_l1
            order by calls.received_at, calls.ticket_id) as previous_received_at
    from calls
    inner join twice on twice.twice_caller = calls.caller and twice.twice_category = calls.category_l1
),

repeats as (
    select *
    from sequenced
    where previous_ticket_id is not null and previous_ticket_id <> ''
        and previous_received_at >= received_at - to_days($repeat_window_days)
),

-- Callers numbered by the earliest ticket their repeats come back to (a number that says nothing about the
-- phone number; it may change when the marts are built again).
numbered as (
    select numbered_caller, row_number() over (order by first_previous_id) as caller_no
    from (
        select caller as numbered_caller, min(previous_ticket_id) as first_previous_id
        from repeats
        group by caller
    ) as firsts
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
    inner join numbered on numbered.numbered_caller = repeats.caller
)

select * from final
order by received_at, ticket_id
