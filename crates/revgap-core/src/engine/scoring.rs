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

/// For each value, 10 × (number of values ≤ it) / n: its percentile on a 0–10 scale.
pub fn percentile_scores(values: &[f64]) -> Vec<f64> {
    let count = values.len() as f64;
    crate::stats::by_tie_blocks(values, |below, ties| 10.0 * (below + ties) as f64 / count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_continuous_share_ties_and_reach_ten_only_at_the_top() {
        let scores = percentile_scores(&[4.0, 1.0, 2.0, 2.0, 3.0]);
        assert_eq!(scores, vec![10.0, 2.0, 6.0, 6.0, 8.0]);
        assert!(percentile_scores(&[]).is_empty());
    }
}
