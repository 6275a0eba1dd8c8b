-- Every property company for one month: score and its parts with N, eligibility (and why not),
-- rank, red/black list, rank change and consecutive black months. Ranked companies first.
with

rankings as (
    select *
    from mart_company_rankings
    where month_start = $month
        and ($list is null or list = $list)
),

final as (
    select * from rankings
)

select * from final
order by rank nulls last, score desc nulls last, company_name
