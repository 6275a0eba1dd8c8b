-- One company's months: score, its parts, rank and list, oldest first.
with

rankings as (
    select *
    from mart_company_rankings
    where company_id = $company_id
        and ($start is null or month_start >= $start)
        and ($end is null or month_start <= $end)
),

final as (
    select * from rankings
)

select * from final
order by month_start
