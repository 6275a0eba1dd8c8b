-- The area a breakdown of a geographic level is narrowed to when it lists several units of the level: the
-- community of a breakdown by grid, or the street of one by community or by grid (parent_level null otherwise:
-- the whole level, whose own district-wide 未落格 / 社区不明 / 街道不明 row of mart_rates is listed then).
-- One row, so a query can cross join it.
parent as (
    select
        case
            when $level = 'grid' and $community_code is not null then 'community'
            when ($level = 'grid' or ($level = 'community' and $community_code is null)) and $street_code is not null
                then 'street'
        end as parent_level,
        coalesce($community_code, $street_code) as parent_code
),
