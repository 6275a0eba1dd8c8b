-- One row per ticket with everything the marts aggregate: the effective deadline and the ticket's
-- state at the as-of time. A temporary view (written once, read by each mart with its own filter;
-- materialising 5M rows into a table costs more than computing them again).
--
-- Working clock (工作日时钟): a position in seconds that advances only on working days, 86,400 seconds
-- (24 hours) per working day. At time t on date d:
--     working day:      (workday_index(d) - 1) * 86400 + seconds since midnight
--     non-working day:  workday_index(d) * 86400        (the clock stands still)
-- workday_index is the running count of working days up to and including d (dim_calendar), so
-- holidays and 调休 (weekend days worked in exchange) count correctly. A duration in working days is
-- the difference of two positions / 86400 (fractional). A date missing from dim_calendar gives a null
-- position: its durations are left out, and its derived deadline falls back to natural days.
--
-- Rule values come from the one-row temp table tmp_rules.
create or replace temp view int_ticket_facts as
with

-- Not materialised: referenced twice, DuckDB would otherwise copy all of fct_tickets first.
tickets as not materialized (
    select * from fct_tickets
),

calendar as (
    select calendar_date, is_workday, workday_index from dim_calendar
),

workdays as (
    select workday_index, calendar_date from dim_calendar where is_workday
),

deadline_rules as (
    select appeal_type, workdays from tmp_deadline_rules
),

compounds as (
    select compound_code, company_id from dim_compounds
),

as_of as (
    select as_of_at, as_of_clock from tmp_as_of
),

rules as (
    select * from tmp_rules
),

-- A source whose exports never carry a response time is left out of the response rate; one that never carries a
-- callback (网格员上报, 视频巡查 ...) never waits for one (回访未完).
source_kinds as (
    select source, count(responded_at) > 0 as has_response,
        count(callback_at) + count(is_resolved) + count(satisfaction) > 0 as has_callback
    from tickets group by source
),

clocked as (
    select
        tickets.*,
        -- The export's working days when it gave a number instead of a date, else the rule for the type.
        coalesce(tickets.due_workdays, deadline_rules.workdays, rules.fallback_deadline_workdays) as deadline_workdays,
        case
            when received_day.is_workday
                then (received_day.workday_index - 1) * 86400
                    + datediff('second', tickets.received_at::date, tickets.received_at)
            else received_day.workday_index * 86400
        end as received_clock,
        case
            when resolved_day.is_workday
                then (resolved_day.workday_index - 1) * 86400
                    + datediff('second', tickets.resolved_at::date, tickets.resolved_at)
            else resolved_day.workday_index * 86400
        end as resolved_clock,
        coalesce(received_day.is_workday, false) as is_received_on_workday,
        coalesce(source_kinds.has_response, false) as source_has_response,
        coalesce(source_kinds.has_callback, false) as source_has_callback,
        -- Response limit in natural hours from dispatch, or from receipt when there is no dispatch.
        coalesce(tickets.dispatched_at, tickets.received_at)
            + to_seconds(cast(rules.response_limit_hours * 3600 as bigint)) as response_due_at,
        compounds.company_id
    from tickets
    cross join rules
    left join deadline_rules on deadline_rules.appeal_type = tickets.appeal_type
    left join calendar as received_day on received_day.calendar_date = tickets.received_at::date
    left join calendar as resolved_day on resolved_day.calendar_date = tickets.resolved_at::date
    left join source_kinds on source_kinds.source = tickets.source
    left join compounds on compounds.compound_code = tickets.compound_code
),

-- No deadline in the export: N working days on the working clock from receipt, i.e. the same time of
-- day on the N-th working day after the day of receipt; received on a non-working day, the end
-- (24:00) of the N-th working day. A clock position on a day boundary is both 24:00 of one working day
-- and 00:00 of the next: received at 00:00:00 on a working day, the deadline is 00:00 of the N-th
-- working day (the same time of day), not 24:00 of the one before, which lies before any non-working
-- days between them (received Thursday 00:00, two working days, the next being a 调休 Sunday: Sunday
-- 00:00, not Saturday 00:00; a ticket closed on the Saturday is on time, as one received 00:00:01 is).
derived as (
    select
        clocked.*,
        case when due_at is null then received_clock + deadline_workdays * 86400 end as derived_due_clock
    from clocked
),

with_due as (
    select
        derived.*,
        derived.due_at is null as is_due_derived,
        coalesce(
            derived.due_at,
            due_day.calendar_date
                + to_seconds(derived.derived_due_clock - (due_day.workday_index - 1) * 86400),
            derived.received_at + to_days(derived.deadline_workdays)
        ) as effective_due_at
    from derived
    left join workdays as due_day
        on due_day.workday_index = (derived.derived_due_clock
            + case when derived.is_received_on_workday then 86400 else 86399 end) // 86400
),

due_clocked as (
    select
        with_due.*,
        coalesce(
            with_due.derived_due_clock,
            case
                when due_day.is_workday
                    then (due_day.workday_index - 1) * 86400
                        + datediff('second', with_due.effective_due_at::date, with_due.effective_due_at)
                else due_day.workday_index * 86400
            end
        ) as due_clock,
        -- The latest status decides the state (docs/metrics.md, 工单状态):
        -- 已撤销 (voided: withdrawn or cancelled as made in error) is no work at all: neither open nor closed,
        --   in no count but 受理量.
        -- 重办 (reopened after a callback) is in hand again: the export keeps the first 办结时间, which no
        --   longer closes it; a later export with 已办结 and its new 办结时间 closes it again.
        -- 已退单 (handed back to the dispatch centre): open, but its deadline no longer holds (a new one
        --   runs from the next dispatch), so never overdue or near its deadline.
        -- Every other open ticket is in hand (在办), 待派单 (never dispatched) included: its deadline runs from
        --   receipt and the citizen waits all the same.
        with_due.status is not distinct from '已撤销' as is_voided,
        with_due.resolved_at is not null and with_due.status is distinct from '已撤销'
            and with_due.status is distinct from '重办' as is_closed,
        with_due.resolved_at is null and with_due.status is not distinct from '已退单' as is_returned,
        (with_due.resolved_at is null or with_due.status is not distinct from '重办')
            and with_due.status is distinct from '已退单'
            and with_due.status is distinct from '已撤销' as is_in_hand
    from with_due
    left join calendar as due_day on due_day.calendar_date = with_due.effective_due_at::date
),

final as (
    select
        t.ticket_id,
        t.received_at,
        t.received_at::date as received_date,
        t.source,
        t.appeal_type,
        t.category_l1,
        t.category_l2,
        t.department,
        t.street_code,
        t.street_name,
        t.community_code,
        t.community_name,
        t.grid_code,
        t.compound_code,
        t.company_id,
        t.handling_level,
        t.effective_due_at,
        t.is_due_derived,
        t.is_closed,
        t.is_voided,
        t.is_returned,
        t.is_in_hand,
        t.is_closed and t.resolved_at <= t.effective_due_at as is_closed_on_time,
        t.is_closed and t.resolved_at > t.effective_due_at as is_closed_late,
        t.is_in_hand and t.effective_due_at < as_of.as_of_at as is_overdue,
        t.is_in_hand
            and t.effective_due_at >= as_of.as_of_at
            and coalesce(
                t.due_clock - as_of.as_of_clock <= rules.near_deadline_workdays * 86400,
                t.effective_due_at <= as_of.as_of_at + to_seconds(cast(rules.near_deadline_workdays * 86400 as bigint))
            ) as is_near_deadline,
        case when t.is_in_hand and t.effective_due_at < as_of.as_of_at
            then (as_of.as_of_clock - t.due_clock) / 86400.0
        end as overdue_workdays,
        case when t.is_in_hand and t.effective_due_at >= as_of.as_of_at
            then (t.due_clock - as_of.as_of_clock) / 86400.0
        end as remaining_workdays,
        not t.is_voided and t.source_has_response
            and (t.responded_at is not null or t.response_due_at <= as_of.as_of_at) as is_response_counted,
        not t.is_voided and t.source_has_response
            and t.responded_at is not null
            and t.responded_at <= t.response_due_at as is_responded_in_time,
        -- The callback of a reopened ticket (重办) still counts: it is the citizen's latest answer.
        not t.is_voided and t.is_resolved is not null as has_resolution_answer,
        -- Its callback may still come (回访未完): still in hand, or closed within the callback window and not called back.
        not t.is_voided and t.source_has_callback and (t.is_in_hand or (t.resolved_at is not null and t.callback_at is null
            and t.resolved_at > as_of.as_of_at - to_seconds(cast(rules.callback_window_days * 86400 as bigint))))
            as is_awaiting_callback,
        not t.is_voided and coalesce(t.is_resolved, false) as is_resolved,
        not t.is_voided and t.satisfaction in ('满意', '基本满意', '不满意') as is_rated,
        case when not t.is_voided then case t.satisfaction
            when '满意' then 1.0
            when '基本满意' then rules.basic_satisfied_weight
            when '不满意' then 0.0
        end end as satisfaction_points,
        not t.is_voided and t.satisfaction = '满意' as is_satisfied,
        not t.is_voided and t.satisfaction = '基本满意' as is_basic_satisfied,
        not t.is_voided and t.satisfaction = '不满意' as is_dissatisfied,
        -- Durations leave out tickets with an impossible timeline (closed before received, ...).
        case when t.is_closed and not t.has_timeline_error
            then (t.resolved_clock - t.received_clock) / 86400.0
        end as handling_workdays,
        not t.is_voided and coalesce(t.is_whistle, false) as is_whistle,
        not t.is_voided and coalesce(t.is_consultation, false) as is_consultation,
        -- A consultation or a suggestion about property management is not a complaint against the
        -- company (the rules' appeal types); a ticket without an appeal type is not left out.
        not t.is_voided
            and list_contains(rules.property_categories, t.category_l1)
            and (t.appeal_type is null or list_contains(rules.property_appeal_types, t.appeal_type))
            as is_property_complaint
    from due_clocked as t
    cross join as_of
    cross join rules
)

select * from final
