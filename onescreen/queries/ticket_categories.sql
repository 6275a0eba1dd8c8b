-- Second-level categories present in the tickets (within one first-level category when given), with N.
with

tickets as (
    select category_l1, category_l2
    from fct_tickets
    where category_l2 is not null
        and ($category_l1 is null or category_l1 = $category_l1)
),

final as (
    select category_l1, category_l2, count(*) as ticket_count
    from tickets
    group by all
)

select * from final
order by category_l1, ticket_count desc, category_l2
