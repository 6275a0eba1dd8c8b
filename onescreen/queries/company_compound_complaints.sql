-- The compounds of one property company (of every company when none is given) in one month (default:
-- the as-of month): households and the property complaints received there that month, counted as
-- mart_company_rankings counts them (categories and appeal types from the rules the marts were built
-- with; marts built before appeal types were a rule counted every type; never a voided ticket, 已撤销).
with

meta as (
    select as_of, rules_json from mart_meta
),

chosen_month as (
    select coalesce($month, date_trunc('month', (select as_of from meta))::date) as month_start
),

property_categories as (
    select unnest(from_json(json_extract(rules_json, '$.property.categories'), '["VARCHAR"]')) as category_l1
    from meta
),

property_appeal_types as (
    select unnest(from_json(json_extract(rules_json, '$.property.appeal_types'), '["VARCHAR"]')) as appeal_type
    from meta
),

compounds as (
    select *
    from dim_compounds
    where company_id is not null
        and ($company_id is null or company_id = $company_id)
),

complaints as (
    select tickets.compound_code, count(*) as complaint_count
    from fct_tickets as tickets
    cross join chosen_month
    where tickets.compound_code in (select compound_code from compounds)
        and tickets.category_l1 in (select category_l1 from property_categories)
        and (tickets.appeal_type is null
            or not exists (select 1 from property_appeal_types)
            or tickets.appeal_type in (select appeal_type from property_appeal_types))
        and coalesce(tickets.status, '') <> '已撤销'   -- voided: no complaint against anyone
        and tickets.received_at >= chosen_month.month_start
        and tickets.received_at < chosen_month.month_start + interval 1 month
    group by tickets.compound_code
),

final as (
    select
        chosen_month.month_start,
        compounds.company_id,
        companies.company_name,
        compounds.compound_code,
        compounds.compound_name,
        compounds.grid_code,
        grids.grid_name,
        grids.community_name,
        compounds.households,
        coalesce(complaints.complaint_count, 0) as complaint_count,
        1000.0 * coalesce(complaints.complaint_count, 0) / nullif(compounds.households, 0)
            as complaints_per_1k_households
    from compounds
    cross join chosen_month
    left join complaints on complaints.compound_code = compounds.compound_code
    left join dim_companies as companies on companies.company_id = compounds.company_id
    left join dim_grids as grids on grids.grid_code = compounds.grid_code
)

select * from final
order by complaint_count desc, complaints_per_1k_households desc nulls last, compound_code
