-- Every unit of one level for one period: rates with N, composite score and rank, and the change
-- against the previous period. Street/community filters narrow the geographic levels (street,
-- community, grid); department, source and category are always district-wide (全区口径).
with

current_period as (
    select *
    from mart_rates
    where period_type = $period_type
        and period_start = $period_start
        and level = $level
        and (level not in ('street', 'community', 'grid') or $street_code is null or street_code = $street_code)
        and (level not in ('community', 'grid') or $community_code is null or community_code = $community_code)
),

previous_period as (
    select *
    from mart_rates
    where period_type = $period_type
        and period_start = $previous_start
        and level = $level
),

{{include parts/rates_breakdown_rows.sql}}
