//! The four-factor priority score on continuous 0–10 scales.
//!
//! - revenue_impact: the share of gap customers whose largest gap is at most this one's (a
//!   percentile of |gap| in dollars), × 10. No cap is hit before the largest gap.
//! - churn_risk: churn points / 10.
//! - customer_value: the percentile of total revenue among all analysed customers, × 10.
//! - recovery_probability: from the customer's own primary opportunity (config table).
//!
//! Percentiles make the factors scale-free (a $5 CD store and a $500 grocery basket rank the
//! same way) and continuous, which removes the original's 9.40 saturation.

use crate::config::Config;
use serde::Serialize;

/// The four factors (each 0–10) and the weighted total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreFactors {
    pub revenue_impact: f64,
    pub churn_risk: f64,
    pub customer_value: f64,
    pub recovery_probability: f64,
}

impl ScoreFactors {
    /// Σ weight × factor.
    pub fn priority(&self, config: &Config) -> f64 {
        let weights = &config.scoring;
        self.revenue_impact * weights.revenue_impact
            + self.churn_risk * weights.churn_risk
            + self.customer_value * weights.customer_value
            + self.recovery_probability * weights.recovery_probability
    }

    /// (name, factor, weight) rows, for reports and the scores pane.
    pub fn rows(&self, config: &Config) -> [(&'static str, f64, f64); 4] {
        let weights = &config.scoring;
        [
            (
                "revenue_impact",
                self.revenue_impact,
                weights.revenue_impact,
            ),
            ("churn_risk", self.churn_risk, weights.churn_risk),
            (
                "customer_value",
                self.customer_value,
                weights.customer_value,
            ),
            (
                "recovery_probability",
                self.recovery_probability,
                weights.recovery_probability,
            ),
        ]
    }
}

/// Maps values to "share of the population at or below", × 10.
#[derive(Debug, Clone, Default)]
pub struct PercentileScale {
    sorted: Vec<f64>,
}

impl PercentileScale {
    pub fn new(mut values: Vec<f64>) -> Self {
        use rayon::slice::ParallelSliceMut;
        values.par_sort_unstable_by(f64::total_cmp);
        Self { sorted: values }
    }

    /// 10 × (number of values ≤ `value`) / n; 0 for an empty population.
    pub fn score(&self, value: f64) -> f64 {
        if self.sorted.is_empty() {
            return 0.0;
        }
        let at_or_below = self.sorted.partition_point(|v| *v <= value);
        10.0 * at_or_below as f64 / self.sorted.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_scale_is_continuous_and_reaches_ten_only_at_the_top() {
        let scale = PercentileScale::new(vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(scale.score(4.0), 10.0);
        assert_eq!(scale.score(2.0), 5.0);
        assert_eq!(scale.score(2.5), 5.0);
        assert_eq!(scale.score(0.5), 0.0);
    }
}
