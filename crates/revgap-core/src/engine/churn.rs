//! The rule-based churn score: integer points per factor (so 40 + 30 is exactly 70), a score
//! out of 1.00, and the probability bands.

use super::baseline::SpendProfile;
use crate::config::Config;
use serde::Serialize;

/// A reason that added churn points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChurnFactor {
    ZeroSpendWeeks,
    DecliningTrend,
    SignificantDecline,
}

impl ChurnFactor {
    pub fn key(self) -> &'static str {
        match self {
            Self::ZeroSpendWeeks => "zero_spend_weeks",
            Self::DecliningTrend => "declining_trend",
            Self::SignificantDecline => "significant_decline",
        }
    }
}

/// The churn assessment of one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnAssessment {
    /// 0–100, capped.
    pub points: u32,
    pub probability: f64,
    pub factors: Vec<ChurnFactor>,
    pub weeks_since_last_purchase: usize,
}

impl ChurnAssessment {
    /// The score on the original's 0–1.00 scale.
    pub fn score(&self) -> f64 {
        f64::from(self.points) / 100.0
    }

    /// Scores one customer.
    pub fn of(profile: &SpendProfile, config: &Config) -> Self {
        let rules = &config.churn;
        let mut points = 0;
        let mut factors = Vec::new();
        if profile.is_new {
            // Too little history to judge: no points, and the lowest band's probability.
            return Self {
                points: 0,
                probability: rules.probability_of(0),
                factors,
                weeks_since_last_purchase: profile.weeks_since_last_purchase,
            };
        }
        if profile.recent_zero_weeks >= config.gaps.zero_spend_weeks {
            points += rules.zero_spend_points;
            factors.push(ChurnFactor::ZeroSpendWeeks);
        }
        if profile.trend_pct < rules.strong_decline_pct {
            points += rules.strong_decline_points;
            factors.push(ChurnFactor::DecliningTrend);
        } else if profile.trend_pct < rules.mild_decline_pct {
            points += rules.mild_decline_points;
            factors.push(ChurnFactor::DecliningTrend);
        }
        if profile.baseline_avg > 0.0
            && profile.recent_avg / profile.baseline_avg < rules.significant_decline_ratio
        {
            points += rules.significant_decline_points;
            factors.push(ChurnFactor::SignificantDecline);
        }
        let points = points.min(100);
        let probability = rules.probability_of(points);
        Self {
            points,
            probability,
            factors,
            weeks_since_last_purchase: profile.weeks_since_last_purchase,
        }
    }

    pub fn is_risk(&self, config: &Config) -> bool {
        self.points >= config.churn.risk_points
    }

    pub fn is_high_risk(&self, config: &Config) -> bool {
        self.points >= config.churn.high_risk_points
    }
}
