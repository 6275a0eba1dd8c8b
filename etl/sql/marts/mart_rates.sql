-- mart_rates: one row per (period_type, period_start, level, unit_code) with every count, rate (0-100)
-- and the composite score. A ticket belongs to the period in which it was received; its state
-- (closed, overdue, ...) is the state at the as-of time.
--
-- How (fast at 5M tickets): each ticket's measures become n_* flags (true or null, counted into c_*)
-- and s_* values (summed into v_*); the tickets are summed per received day and grid (one pass), department, source
-- and category (one pass each); roll-ups sum doubles (exact for counts; a BIGINT sum would widen to
-- HUGEINT, several times slower); communities, streets and the district are rolled up from the grid
-- days, and weeks (starting Monday) and months from the days. Rates are computed last.
-- Parameters: weights $weight_response, $weight_resolution, $weight_satisfaction; $min_denominator.
create or replace table mart_rates as
with

facts as materialized (
    select
        received_date,
        street_code,
        community_code,
        grid_code,
        department,
        source,
        category_l1,
        true as n_ticket,
        case when is_responded_in_time then true end as n_response_numerator,
        case when is_response_counted then true end as n_response_denominator,
        case when has_resolution_answer and is_resolved then true end as n_resolution_numerator,
        case when has_resolution_answer then true end as n_resolution_denominator,
        case when is_rated then true end as n_satisfaction_denominator,
        case when is_awaiting_callback then true end as n_awaiting_callback,
        case when is_satisfied then true end as n_satisfied,
        case when is_basic_satisfied then true end as n_basic_satisfied,
        case when is_dissatisfied then true end as n_dissatisfied,
        case when is_closed then true end as n_closed,
        case when is_closed_on_time then true end as n_closed_on_time,
        case when is_closed_late then true end as n_closed_late,
        case when is_in_hand then true end as n_open,
        case when is_overdue then true end as n_overdue,
        case when is_near_deadline then true end as n_near_deadline,
        case when handling_workdays is not null then true end as n_handling,
        case when handling_workdays < 1 then true end as n_handling_lt1,
        case when handling_workdays >= 1 and handling_workdays < 2 then true end as n_handling_1_2,
        case when handling_workdays >= 2 and handling_workdays < 3 then true end as n_handling_2_3,
        case when handling_workdays >= 3 and handling_workdays < 5 then true end as n_handling_3_5,
        case when handling_workdays >= 5 and handling_workdays < 10 then true end as n_handling_5_10,
        case when handling_workdays >= 10 and handling_workdays < 15 then true end as n_handling_10_15,
        case when handling_workdays >= 15 then true end as n_handling_ge15,
        case when is_closed and handling_level = '网格' then true end as n_closed_at_grid,
        case when is_closed and handling_level = '社区' then true end as n_closed_at_community,
        case when is_closed and handling_level = '街道' then true end as n_closed_at_street,
        case when is_closed and handling_level = '区' then true end as n_closed_at_district,
        case when is_whistle then true end as n_whistle,
        case when is_whistle and is_closed then true end as n_whistle_closed,
        case when is_consultation then true end as n_consultation,
        case when is_consultation and is_closed then true end as n_consultation_closed,
        case when is_property_complaint then true end as n_property_complaint,
        coalesce(satisfaction_points, 0.0) as s_satisfaction_numerator,
        coalesce(handling_workdays, 0.0) as s_handling_workdays
    from int_ticket_facts
),

-- Keyed by grid; tickets without a grid by their community (or street), so those roll up correctly.
grid_days as (
    select
        received_date,
        grid_code,
        case when grid_code is null then community_code end as community_without_grid,
        case when grid_code is null then street_code end as street_without_grid,
        max(community_code) as community_code,
        max(street_code) as street_code,
        count(columns('^n_(.*)$')) as 'c_\1',
        sum(columns('^s_(.*)$')) as 'v_\1'
    from facts
    group by received_date, grid_code, community_without_grid, street_without_grid
),

department_days as (
    select received_date, department, count(columns('^n_(.*)$')) as 'c_\1', sum(columns('^s_(.*)$')) as 'v_\1'
    from facts
    group by all
),

source_days as (
    select received_date, source, count(columns('^n_(.*)$')) as 'c_\1', sum(columns('^s_(.*)$')) as 'v_\1'
    from facts
    group by all
),

category_days as (
    select received_date, category_l1, count(columns('^n_(.*)$')) as 'c_\1', sum(columns('^s_(.*)$')) as 'v_\1'
    from facts
    group by all
),

days as (
    -- level, unit key (null = not assigned), parent street and community of a geographic unit.
    select received_date, 'grid' as level, grid_code as unit_key, street_code as parent_street_code,
        community_code as parent_community_code, columns('^[cv]_')::double
    from grid_days
    where grid_code is not null
    union all by name
    select received_date, 'grid' as level, null as unit_key, null as parent_street_code,
        null as parent_community_code, sum(columns('^[cv]_')::double)
    from grid_days
    where grid_code is null
    group by received_date
    union all by name
    select received_date, 'community' as level, community_code as unit_key, max(street_code) as parent_street_code,
        community_code as parent_community_code, sum(columns('^[cv]_')::double)
    from grid_days
    group by received_date, community_code
    union all by name
    select received_date, 'street' as level, street_code as unit_key, street_code as parent_street_code,
        null as parent_community_code, sum(columns('^[cv]_')::double)
    from grid_days
    group by received_date, street_code
    union all by name
    select received_date, 'district' as level, 'all' as unit_key, null as parent_street_code,
        null as parent_community_code, sum(columns('^[cv]_')::double)
    from grid_days
    group by received_date
    union all by name
    select received_date, 'department' as level, department as unit_key, columns('^[cv]_') from department_days
    union all by name
    select received_date, 'source' as level, source as unit_key, columns('^[cv]_') from source_days
    union all by name
    select received_date, 'category' as level, category_l1 as unit_key, columns('^[cv]_') from category_days
),

periods as (
    select 'day' as period_type, received_date as period_start, * exclude (received_date)
    from days
    union all by name
    select 'week' as period_type, date_trunc('week', received_date)::date as period_start,
        level, unit_key, max(parent_street_code) as parent_street_code,
        max(parent_community_code) as parent_community_code, sum(columns('^[cv]_')::double)
    from days
    group by all
    union all by name
    select 'month' as period_type, date_trunc('month', received_date)::date as period_start,
        level, unit_key, max(parent_street_code) as parent_street_code,
        max(parent_community_code) as parent_community_code, sum(columns('^[cv]_')::double)
    from days
    group by all
),

counts as (
    select
        period_type,
        period_start,
        level,
        unit_key,
        parent_street_code,
        parent_community_code,
        columns('^c_(.*)$')::bigint as '\1',
        columns('^v_(.*)$')::double as '\1'
    from periods
),

names as (
    select 'street' as level, street_code as unit_key, street_name as unit_name from dim_streets
    union all
    select 'community', community_code, community_name from dim_communities
    union all
    select 'grid', grid_code, grid_name from dim_grids
    union all
    -- Units the dimensions lack: the names the tickets carry.
    select 'street', street_code, max(street_name) from fct_tickets
    where street_code not in (select street_code from dim_streets) group by street_code
    union all
    select 'community', community_code, max(community_name) from fct_tickets
    where community_code not in (select community_code from dim_communities) group by community_code
),

unit_names as (
    select level, unit_key, max(unit_name) as unit_name from names where unit_key is not null group by all
),

named as (
    select
        counts.* exclude (unit_key, parent_street_code, parent_community_code),
        coalesce(counts.unit_key, 'unassigned') as unit_code,
        case
            when counts.level = 'district' then '全区'
            when counts.unit_key is null then case counts.level
                when 'street' then '街道不明'
                when 'community' then '社区不明'
                when 'grid' then '未落格'
                when 'department' then '未注明承办单位'
                when 'category' then '未分类'
                else '未注明'
            end
            else coalesce(unit_names.unit_name, counts.unit_key)
        end as unit_name,
        -- Geographic scope of the unit, so a page can list the units inside a street or community.
        case when counts.unit_key is not null then counts.parent_street_code end as street_code,
        case when counts.unit_key is not null then counts.parent_community_code end as community_code,
        case when counts.unit_key is not null and counts.level = 'grid' then counts.unit_key end as grid_code
    from counts
    left join unit_names on unit_names.level = counts.level and unit_names.unit_key = counts.unit_key
),

rated as (
    select
        *,
        100.0 * response_numerator / nullif(response_denominator, 0) as response_rate,
        100.0 * resolution_numerator / nullif(resolution_denominator, 0) as resolution_rate,
        100.0 * satisfaction_numerator / nullif(satisfaction_denominator, 0) as satisfaction_rate,
        closed_on_time as on_time_numerator,
        closed_on_time + closed_late + overdue as on_time_denominator,
        100.0 * closed_on_time / nullif(closed_on_time + closed_late + overdue, 0) as on_time_rate,
        closed as closure_numerator,
        closed + overdue as closure_denominator,
        100.0 * closed / nullif(closed + overdue, 0) as closure_rate,
        handling_workdays / nullif(handling, 0) as avg_handling_workdays,
        closed_at_grid + closed_at_community + closed_at_street + closed_at_district as escalation_denominator
    from named
),

-- Not materialised: read twice (basis, final); copying its sixty columns costs more than recomputing.
scored as not materialized (
    select
        *,
        -- Σ weight × rate over the rates that exist, divided by the sum of those weights.
        (coalesce($weight_response * response_rate, 0)
            + coalesce($weight_resolution * resolution_rate, 0)
            + coalesce($weight_satisfaction * satisfaction_rate, 0))
        / nullif(
            (case when response_rate is not null then $weight_response else 0 end)
            + (case when resolution_rate is not null then $weight_resolution else 0 end)
            + (case when satisfaction_rate is not null then $weight_satisfaction else 0 end), 0
        ) as composite_score,
        -- Rankable only when every rate that enters the score has a denominator of at least the minimum,
        -- and only real units: 未落格 / 社区不明 / 街道不明 are shown, never ranked against them. Whether it is
        -- ranked depends on its level's other units too (basis, below): the mart's is_ranked says so.
        unit_code <> 'unassigned'
            and (response_rate is not null or resolution_rate is not null or satisfaction_rate is not null)
            and (response_rate is null or response_denominator >= $min_denominator)
            and (resolution_rate is null or resolution_denominator >= $min_denominator)
            and (satisfaction_rate is null or satisfaction_denominator >= $min_denominator)
            as is_ranked
    from rated
),

-- Like with like: the units of a level are ranked on the same rates. A rate that a unit otherwise ranked has is
-- part of its level's basis, and a unit without it is shown but not ranked: 网格员上报 and 视频巡查 have no
-- callback (no 解决率 or 满意率), and their score of 响应率 alone ranked them above 12345热线, judged on all three.
basis as (
    select
        period_type,
        period_start,
        level,
        unit_code,
        composite_score,
        response_rate,
        resolution_rate,
        satisfaction_rate,
        max(case when response_rate is not null then 1 else 0 end)
            over (partition by period_type, period_start, level) as level_has_response,
        max(case when resolution_rate is not null then 1 else 0 end)
            over (partition by period_type, period_start, level) as level_has_resolution,
        max(case when satisfaction_rate is not null then 1 else 0 end)
            over (partition by period_type, period_start, level) as level_has_satisfaction
    from scored
    where is_ranked
),

-- Ranked apart from the wide rows: a window over all sixty columns costs several times more.
ranks as (
    select
        period_type,
        period_start,
        level,
        unit_code,
        rank() over (partition by period_type, period_start, level order by round(composite_score, 6) desc)
            as composite_rank
    from basis
    where (response_rate is not null or level_has_response = 0)
        and (resolution_rate is not null or level_has_resolution = 0)
        and (satisfaction_rate is not null or level_has_satisfaction = 0)
),

final as (
    select
        period_type,
        period_start,
        level,
        unit_code,
        unit_name,
        street_code,
        community_code,
        grid_code,
        ticket as ticket_count,
        response_numerator,
        response_denominator,
        response_rate,
        resolution_numerator,
        resolution_denominator,
        resolution_rate,
        satisfaction_numerator,
        satisfaction_denominator,
        satisfaction_rate,
        satisfied as satisfied_count,
        basic_satisfied as basic_satisfied_count,
        dissatisfied as dissatisfied_count,
        on_time_numerator,
        on_time_denominator,
        on_time_rate,
        closure_numerator,
        closure_denominator,
        closure_rate,
        closed as closed_count,
        closed_on_time as closed_on_time_count,
        closed_late as closed_late_count,
        open as open_count,
        overdue as overdue_count,
        near_deadline as near_deadline_count,
        awaiting_callback as awaiting_callback_count,
        handling as handling_count,
        handling_workdays as handling_workdays_sum,
        avg_handling_workdays,
        handling_lt1 as handling_lt1_count,
        handling_1_2 as handling_1_2_count,
        handling_2_3 as handling_2_3_count,
        handling_3_5 as handling_3_5_count,
        handling_5_10 as handling_5_10_count,
        handling_10_15 as handling_10_15_count,
        handling_ge15 as handling_ge15_count,
        escalation_denominator,
        closed_at_grid as closed_at_grid_count,
        closed_at_community as closed_at_community_count,
        closed_at_street as closed_at_street_count,
        closed_at_district as closed_at_district_count,
        100.0 * closed_at_grid / nullif(escalation_denominator, 0) as closed_at_grid_share,
        100.0 * closed_at_community / nullif(escalation_denominator, 0) as closed_at_community_share,
        100.0 * closed_at_street / nullif(escalation_denominator, 0) as closed_at_street_share,
        100.0 * closed_at_district / nullif(escalation_denominator, 0) as closed_at_district_share,
        whistle as whistle_count,
        whistle_closed as whistle_closed_count,
        consultation as consultation_count,
        consultation_closed as consultation_closed_count,
        property_complaint as property_complaint_count,
        composite_score,
        ranks.composite_rank is not null as is_ranked,
        ranks.composite_rank
    from scored
    left join ranks using (period_type, period_start, level, unit_code)
)

select * from final
