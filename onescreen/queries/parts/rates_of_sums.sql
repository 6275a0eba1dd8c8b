        -- The rates of summed numerators and denominators, as mart_rates computes them (a rate over no
        -- denominator is null, not 0).
        100.0 * response_numerator / nullif(response_denominator, 0) as response_rate,
        100.0 * resolution_numerator / nullif(resolution_denominator, 0) as resolution_rate,
        100.0 * satisfaction_numerator / nullif(satisfaction_denominator, 0) as satisfaction_rate,
        100.0 * on_time_numerator / nullif(on_time_denominator, 0) as on_time_rate,
        100.0 * closure_numerator / nullif(closure_denominator, 0) as closure_rate,
        handling_workdays_sum / nullif(handling_count, 0) as avg_handling_workdays
