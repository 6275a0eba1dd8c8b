    -- The heat page's filters on fct_tickets (or a mart with its columns): received from $start to $end (both
    -- days included), in the street, community or grid, of the source and first-level category; a null
    -- parameter does not filter. Shared so the map, the matrix and the weekday × hour counts agree.
    where ($start is null or received_at >= $start)
        and ($end is null or received_at < $end::date + interval 1 day)
        and ($street_code is null or street_code = $street_code)
        and ($community_code is null or community_code = $community_code)
        and ($grid_code is null or grid_code = $grid_code)
        and ($source is null or source = $source)
        and ($category_l1 is null or category_l1 = $category_l1)
