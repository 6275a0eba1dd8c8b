        -- The composite score as mart_rates computes it: Σ weight × rate over the rates that exist, divided
        -- by the sum of those weights (meta.weight_*: the weights the marts were built with).
        (coalesce(meta.weight_response * response_rate, 0)
            + coalesce(meta.weight_resolution * resolution_rate, 0)
            + coalesce(meta.weight_satisfaction * satisfaction_rate, 0))
        / nullif(
            (case when response_rate is not null then meta.weight_response else 0 end)
            + (case when resolution_rate is not null then meta.weight_resolution else 0 end)
            + (case when satisfaction_rate is not null then meta.weight_satisfaction else 0 end), 0
        ) as composite_score
