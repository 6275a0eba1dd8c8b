-- The rule values as a one-row temporary table, so that views (which cannot hold parameters) can read
-- them. Every value arrives as a bound parameter; see etl.marts.sql_params.
create or replace temp table tmp_rules as
with

final as (
    select
        $fallback_deadline_workdays::integer as fallback_deadline_workdays,
        $response_limit_hours::double as response_limit_hours,
        $near_deadline_workdays::double as near_deadline_workdays,
        $basic_satisfied_weight::double as basic_satisfied_weight,
        $property_categories::varchar[] as property_categories,
        $property_appeal_types::varchar[] as property_appeal_types,
        $callback_window_days::integer as callback_window_days
)

select * from final
