//! The tuning popup: a draft copy of the main thresholds and weights, edited field by field
//! and applied as a whole (which re-runs the analysis in the background).

use crate::config::Config;

/// One editable setting.
pub struct Field {
    pub label: &'static str,
    /// Where it lives in the config file (`section.name`): how tuned values are remembered.
    pub key: &'static str,
    pub step: f64,
    pub min: f64,
    pub max: f64,
    get: fn(&Config) -> f64,
    set: fn(&mut Config, f64),
}

impl Field {
    pub fn value(&self, config: &Config) -> f64 {
        (self.get)(config)
    }
}

/// The settings the popup offers, in display order.
pub const FIELDS: [Field; 9] = [
    Field {
        label: "declining threshold %",
        key: "gaps.declining_revenue_pct",
        step: 1.0,
        min: -100.0,
        max: 0.0,
        get: |c| c.gaps.declining_revenue_pct,
        set: |c, v| c.gaps.declining_revenue_pct = v,
    },
    Field {
        label: "below-baseline threshold %",
        key: "gaps.below_baseline_pct",
        step: 1.0,
        min: -100.0,
        max: 0.0,
        get: |c| c.gaps.below_baseline_pct,
        set: |c, v| c.gaps.below_baseline_pct = v,
    },
    Field {
        label: "zero-spend weeks",
        key: "gaps.zero_spend_weeks",
        step: 1.0,
        min: 1.0,
        max: 52.0,
        get: |c| c.gaps.zero_spend_weeks as f64,
        set: |c, v| c.gaps.zero_spend_weeks = v as usize,
    },
    Field {
        label: "high severity below %",
        key: "gaps.high_severity_pct",
        step: 1.0,
        min: -100.0,
        max: 0.0,
        get: |c| c.gaps.high_severity_pct,
        set: |c, v| c.gaps.high_severity_pct = v,
    },
    Field {
        label: "medium severity below %",
        key: "gaps.medium_severity_pct",
        step: 1.0,
        min: -100.0,
        max: 0.0,
        get: |c| c.gaps.medium_severity_pct,
        set: |c, v| c.gaps.medium_severity_pct = v,
    },
    Field {
        label: "weight: revenue impact",
        key: "scoring.revenue_impact",
        step: 0.05,
        min: 0.0,
        max: 1.0,
        get: |c| c.scoring.revenue_impact,
        set: |c, v| c.scoring.revenue_impact = v,
    },
    Field {
        label: "weight: churn risk",
        key: "scoring.churn_risk",
        step: 0.05,
        min: 0.0,
        max: 1.0,
        get: |c| c.scoring.churn_risk,
        set: |c, v| c.scoring.churn_risk = v,
    },
    Field {
        label: "weight: customer value",
        key: "scoring.customer_value",
        step: 0.05,
        min: 0.0,
        max: 1.0,
        get: |c| c.scoring.customer_value,
        set: |c, v| c.scoring.customer_value = v,
    },
    Field {
        label: "weight: recovery probability",
        key: "scoring.recovery_probability",
        step: 0.05,
        min: 0.0,
        max: 1.0,
        get: |c| c.scoring.recovery_probability,
        set: |c, v| c.scoring.recovery_probability = v,
    },
];

/// The fields whose value in `config` differs from `base`, by config key.
pub fn tuned_fields(config: &Config, base: &Config) -> std::collections::BTreeMap<String, f64> {
    FIELDS
        .iter()
        .filter(|field| field.value(config) != field.value(base))
        .map(|field| (field.key.to_string(), field.value(config)))
        .collect()
}

/// The popup's state: a draft configuration and the highlighted field.
#[derive(Debug, Clone, PartialEq)]
pub struct TuningForm {
    pub draft: Config,
    pub cursor: usize,
    /// Why the last apply was refused.
    pub error: Option<String>,
}

impl TuningForm {
    pub fn new(config: &Config) -> Self {
        Self {
            draft: config.clone(),
            cursor: 0,
            error: None,
        }
    }

    pub fn move_cursor(&mut self, delta: isize) {
        let last = FIELDS.len() as isize - 1;
        self.cursor = (self.cursor as isize + delta).clamp(0, last) as usize;
    }

    /// Steps the highlighted field up (+1) or down (−1), within its range.
    pub fn adjust(&mut self, steps: f64) {
        let field = &FIELDS[self.cursor];
        let value = field.value(&self.draft) + steps * field.step;
        // Round to the step so repeated 0.05 steps do not drift.
        let value = (value / field.step).round() * field.step;
        (field.set)(&mut self.draft, value.clamp(field.min, field.max));
        self.error = None;
    }

    /// Sets field `key` of `config` to `value` (within the field's range); false when no field
    /// has that key.
    pub fn set(config: &mut Config, key: &str, value: f64) -> bool {
        match FIELDS.iter().find(|field| field.key == key) {
            Some(field) => {
                (field.set)(config, value.clamp(field.min, field.max));
                true
            }
            None => false,
        }
    }

    /// The draft if it is a valid configuration, its weights scaled to sum to 1 so the
    /// priority stays on the 0–10 scale whatever the user set them to.
    pub fn validated(&self) -> Result<Config, String> {
        let mut config = self.draft.clone();
        let total = config.weight_total();
        if total > 0.0 {
            let scoring = &mut config.scoring;
            for weight in [
                &mut scoring.revenue_impact,
                &mut scoring.churn_risk,
                &mut scoring.customer_value,
                &mut scoring.recovery_probability,
            ] {
                *weight /= total;
            }
        }
        config.validated().map_err(|e| e.to_string())
    }
}
