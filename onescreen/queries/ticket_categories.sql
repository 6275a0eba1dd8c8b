-- Second-level categories present in the tickets (within one first-level category when given), with N:
-- counted when the marts are built (mart_ticket_values), not from every ticket at each page run.
with

categories as (
    select category_l1, value as category_l2, ticket_count
    from mart_ticket_values
    where field = 'category_l2'
        and ($category_l1 is null or category_l1 = $category_l1)
),

final as (
    select category_l1, category_l2, ticket_count
    from categories
)

select * from final
order by category_l1, ticket_count desc, category_l2
