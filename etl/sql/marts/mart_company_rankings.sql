-- mart_company_rankings: one row per (month_start, company_id) for every company and every month from
-- the first ticket or inspection to the as-of month (or the last inspection, if later).
--   inspection_score  mean over the company's compounds of each compound's mean score that month
--                     (inspections without a compound count as one more "compound" of the company)
--   complaint_count   property complaints received that month at the company's compounds
--   complaint_score   max(0, 100 - $complaint_points_per_1k x complaints per 1,000 households)
--   score             $inspection_weight x inspection_score + $complaint_weight x complaint_score
--   eligible          households >= $min_households and inspections >= $min_inspections
-- With n eligible companies, list_size = min($list_size_max, floor(n / $list_size_divisor)): the best
-- list_size are on the red list, the worst as many on the black list. Ties: fewer complaints per
-- 1,000 households first, then company name. rank_change = previous month's rank - this rank
-- (positive = moved up); null when either month is unranked.
create or replace table mart_company_rankings as
with

companies as (
    select company_id, company_name from dim_companies
),

compounds as (
    select compound_code, company_id, households from dim_compounds where company_id is not null
),

inspections as (
    select * from fct_inspections
),

complaint_facts as (
    select company_id, received_date
    from int_ticket_facts
    where is_property_complaint and company_id is not null
),

as_of as (
    select as_of_at from tmp_as_of
),

bounds as (
    select
        date_trunc('month', least(
            (select min(received_at)::date from fct_tickets),
            (select min(inspected_on) from inspections)
        ))::date as first_month,
        date_trunc('month', greatest(
            (select as_of_at::date from as_of),
            (select max(inspected_on) from inspections)
        ))::date as last_month
),

months as (
    select unnest(generate_series(first_month, last_month, interval 1 month))::date as month_start
    from bounds
),

company_size as (
    select company_id, count(*) as compound_count, coalesce(sum(households), 0)::bigint as households
    from compounds
    group by company_id
),

compound_month_scores as (
    select
        company_id,
        coalesce(compound_code, '') as compound_key,
        date_trunc('month', inspected_on)::date as month_start,
        avg(score) as compound_score,
        count(*) as inspection_count
    from inspections
    group by all
),

company_month_inspections as (
    select
        company_id,
        month_start,
        avg(compound_score) as inspection_score,
        sum(inspection_count)::bigint as inspection_count,
        count(*) as inspected_compound_count
    from compound_month_scores
    group by all
),

company_month_complaints as (
    select company_id, date_trunc('month', received_date)::date as month_start, count(*) as complaint_count
    from complaint_facts
    group by all
),

base as (
    select
        months.month_start,
        companies.company_id,
        companies.company_name,
        coalesce(company_size.compound_count, 0) as compound_count,
        coalesce(company_size.households, 0) as households,
        coalesce(ins.inspection_count, 0) as inspection_count,
        coalesce(ins.inspected_compound_count, 0) as inspected_compound_count,
        ins.inspection_score,
        coalesce(complaints.complaint_count, 0) as complaint_count,
        1000.0 * coalesce(complaints.complaint_count, 0)
            / nullif(company_size.households, 0) as complaints_per_1k_households
    from months
    cross join companies
    left join company_size on company_size.company_id = companies.company_id
    left join company_month_inspections as ins
        on ins.company_id = companies.company_id and ins.month_start = months.month_start
    left join company_month_complaints as complaints
        on complaints.company_id = companies.company_id and complaints.month_start = months.month_start
),

scored as (
    select
        *,
        greatest(0.0, 100.0 - $complaint_points_per_1k * complaints_per_1k_households) as complaint_score
    from base
),

eligible as (
    select
        *,
        $inspection_weight * inspection_score + $complaint_weight * complaint_score as score,
        households >= $min_households
            and inspection_count >= $min_inspections
            and inspection_score is not null
            and complaint_score is not null as is_eligible,
        nullif(concat_ws('；',
            case when households < $min_households
                then format('管理户数 {} 户，不足 {} 户', households, $min_households) end,
            case when inspection_count = 0 then '当月无考核记录'
                when inspection_count < $min_inspections
                    then format('当月考核 {} 次，不足 {} 次', inspection_count, $min_inspections) end
        ), '') as ineligible_reason
    from scored
),

ranked as (
    select
        *,
        count(*) filter (is_eligible) over (partition by month_start) as eligible_count,
        case when is_eligible then
            row_number() over (
                partition by month_start
                order by is_eligible desc, round(score, 6) desc, complaints_per_1k_households,
                    company_name, company_id
            )
        end as rank
    from eligible
),

listed as (
    select
        *,
        least($list_size_max, eligible_count // $list_size_divisor) as list_size
    from ranked
),

marked as (
    select
        *,
        case
            when rank <= list_size then 'red'
            when rank > eligible_count - list_size then 'black'
        end as list,
        lag(rank) over (partition by company_id order by month_start) as previous_rank
    from listed
),

runs as (
    select
        *,
        row_number() over (partition by company_id order by month_start)
            - row_number() over (partition by company_id, list is not distinct from 'black' order by month_start)
            as run_id
    from marked
),

final as (
    select
        month_start,
        company_id,
        company_name,
        compound_count,
        households,
        inspection_count,
        inspected_compound_count,
        inspection_score,
        complaint_count,
        complaints_per_1k_households,
        complaint_score,
        score,
        is_eligible,
        ineligible_reason,
        eligible_count,
        list_size,
        rank,
        list,
        previous_rank,
        previous_rank - rank as rank_change,
        case when list is not distinct from 'black'
            then row_number() over (
                partition by company_id, run_id, list is not distinct from 'black' order by month_start
            )
            else 0
        end as consecutive_black_months
    from runs
)

select * from final
order by month_start, rank nulls last, company_name
