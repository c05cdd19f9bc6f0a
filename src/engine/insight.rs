//! One consolidated insight per customer: a primary gap, secondary signals, churn,
//! the primary gap's own opportunity and the priority score.

use super::baseline::SpendProfile;
use super::churn::ChurnAssessment;
use super::gaps::{Gap, detect_gaps_with};
use super::opportunity::Opportunity;
use super::scoring::ScoreFactors;
use crate::config::Config;

/// Everything the engine concluded about one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerInsight {
    /// Index into the dataset's customers.
    pub customer: usize,
    pub profile: SpendProfile,
    /// The gap that explains the customer best (largest |gap|), if any.
    pub primary_gap: Option<Gap>,
    /// The other gaps the rules found, in detection order.
    pub secondary_gaps: Vec<Gap>,
    pub churn: ChurnAssessment,
    /// The opportunity of the primary gap.
    pub opportunity: Option<Opportunity>,
    /// Filled in by scoring (customers with a gap only).
    pub score: Option<ScoreFactors>,
    pub priority_score: f64,
    /// 1-based rank among customers with a gap.
    pub rank: Option<usize>,
    /// Model predictions (when `[model] churn_model = "bgnbd"` and the fit succeeded).
    pub prediction: Option<crate::model::predict::Prediction>,
    /// What the amounts count (money, or purchases), for every text built from them.
    pub unit: crate::text::ValueUnit,
    /// The `[[segments.rules]]` entry whose thresholds applied (index), if any.
    pub segment_rule: Option<usize>,
}

impl CustomerInsight {
    /// Builds the unscored insight of one customer; `model_churn` is the model's churn
    /// probability when the model is in use (the gap rules then follow the customer's rhythm).
    pub fn of(
        customer: usize,
        weeks: &[f64],
        loyalty_member: bool,
        model_churn: Option<f64>,
        config: &Config,
        season: &super::season::Season,
        segment_rule: Option<usize>,
    ) -> Self {
        let profile = SpendProfile::with_season(weeks, config, season);
        let thresholds = segment_rule
            .and_then(|i| config.segments.rules.get(i))
            .map_or_else(|| config.gaps.clone(), |rule| rule.thresholds(&config.gaps));
        let mut gaps = detect_gaps_with(&profile, model_churn, config, &thresholds);
        let primary_at = (0..gaps.len()).reduce(|best, i| {
            if gaps[i].explains_more_than(&gaps[best]) {
                i
            } else {
                best
            }
        });
        let primary_gap = primary_at.map(|i| gaps.remove(i));
        let opportunity = primary_gap
            .as_ref()
            .map(|gap| Opportunity::for_gap(gap, loyalty_member, config));
        Self {
            customer,
            churn: ChurnAssessment::of(&profile, config),
            profile,
            primary_gap,
            secondary_gaps: gaps,
            opportunity,
            score: None,
            priority_score: 0.0,
            rank: None,
            prediction: None,
            unit: crate::text::ValueUnit::Currency,
            segment_rule,
        }
    }

    /// All gaps: primary first, then the secondary ones.
    pub fn gaps(&self) -> impl Iterator<Item = &Gap> {
        self.primary_gap.iter().chain(self.secondary_gaps.iter())
    }

    /// |primary gap| in weekly dollars (0 without a gap).
    pub fn gap_size(&self) -> f64 {
        self.primary_gap.map_or(0.0, |g| g.gap_amount.abs())
    }
}
