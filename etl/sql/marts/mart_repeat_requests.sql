-- mart_repeat_requests: one row per repeat request (重复诉求): a citizen's ticket whose caller (the same phone
-- number) made a request of the same first-level category at most $repeat_window_days calendar days before
-- it (config/rules.toml, repeat.window_days; counted on receipt dates) and earlier than it. The row names
-- the earlier ticket, not the caller: callers are numbered (caller_no, in the order of the earliest call
-- their repeats come back to) so the pages can group a caller's requests without any personal data leaving
-- ticket_pii. The numbers are made again at every build.
-- Left out: voided tickets (status 已撤销: withdrawn or cancelled as made in error, no request at all: neither a
-- repeat nor the earlier request a later call comes back to; they still count as received elsewhere), tickets
-- of the proactive sources ($proactive_sources, 网格员上报 and 视频巡查 by default: their
-- number is the reporter's, not a citizen's), tickets without a first-level category, and numbers that are
-- not 7 to 12 digits once cleaned (a 1.38E+10 an export turned into, 138****1111, two numbers in one cell,
-- an extension): a number is the only thing that says two calls came from one person.
-- Cleaning: spaces (also full-width), dashes, dots and brackets (also full-width) are removed, full-width
-- digits made plain, and a leading +86, 0086, or 86 on a 13-digit number dropped; a landline with and
-- without its area code counts as two numbers.
-- Stored in receipt order: the pages read one receipt window.
create or replace table mart_repeat_requests as
with

numbers as (
    select
        ticket_id,
        -- Most numbers are plain digits already; only the others go through the replacements (a pass each).
        case when regexp_matches(caller_phone, '^[0-9]+$') then caller_phone else
        replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        replace(replace(replace(replace(replace(replace(replace(replace(
            caller_phone, ' ', ''), '　', ''), '-', ''), '.', ''), '(', ''), ')', ''), '（', ''), '）', ''),
            '０', '0'), '１', '1'), '２', '2'), '３', '3'), '４', '4'), '５', '5'), '６', '6'), '７', '7'), '８', '8'),
            '９', '9'), '＋', '+'), '－', '') end as digits
    from ticket_pii
    where caller_phone is not null
),

callers as (
    select
        ticket_id,
        case
            when starts_with(digits, '+86') then substr(digits, 4)
            when starts_with(digits, '0086') then substr(digits, 5)
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
        tickets.category_l1,
        tickets.category_l2,
        callers.caller
    from fct_tickets as tickets
    inner join callers on callers.ticket_id = tickets.ticket_id
    where tickets.category_l1 is not null
        and coalesce(tickets.status, '') <> '已撤销'
        and not list_contains($proactive_sources::varchar[], tickets.source)
        and regexp_matches(callers.caller, '^[0-9]{7,12}$')
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
        lag(calls.ticket_id) over earlier as previous_ticket_id,
        lag(calls.received_at) over earlier as previous_received_at,
        lag(calls.street_code) over earlier as previous_street_code,
        lag(calls.community_code) over earlier as previous_community_code,
        lag(calls.grid_code) over earlier as previous_grid_code
    from calls
    inner join twice on twice.twice_caller = calls.caller and twice.twice_category = calls.category_l1
    window earlier as (partition by calls.caller, calls.category_l1 order by calls.received_at, calls.ticket_id)
),

-- A call logged twice at the same moment (one call, two tickets) is not a repeat.
repeats as (
    select *
    from sequenced
    where previous_ticket_id is not null and previous_ticket_id <> ''
        and previous_received_at < received_at
        and date_diff('day', previous_received_at::date, received_at::date) <= $repeat_window_days
),

-- Callers numbered by the earliest call their repeats come back to (a number that says nothing about the
-- phone number).
numbered as (
    select numbered_caller, row_number() over (order by first_previous_at, first_previous_id) as caller_no
    from (
        select caller as numbered_caller, min(previous_received_at) as first_previous_at,
            min(previous_ticket_id) as first_previous_id
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
        -- where the earlier ticket is: a page for one area names it only when it lies in that area
        nullif(repeats.previous_street_code, '') as previous_street_code,
        nullif(repeats.previous_community_code, '') as previous_community_code,
        nullif(repeats.previous_grid_code, '') as previous_grid_code,
        date_diff('day', repeats.previous_received_at::date, repeats.received_at::date) as days_since_previous
    from repeats
    inner join numbered on numbered.numbered_caller = repeats.caller
)

select * from final
order by received_at, ticket_id
