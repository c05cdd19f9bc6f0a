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
    /// When measured campaigns replaced the opportunity's default recovery factor.
    pub learned_recovery: Option<super::learned::LearnedNote>,
    /// The model's churn probability the gaps were judged with (model mode), else none.
    pub model_churn: Option<f64>,
}

/// What the analysis knows about a customer beyond their own weeks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Context {
    pub loyalty_member: bool,
    /// The model's churn probability when the model is in use (the gap rules then follow the
    /// customer's rhythm).
    pub model_churn: Option<f64>,
    /// The `[[segments.rules]]` entry that applies (index).
    pub segment_rule: Option<usize>,
    /// The peers' median weekly spend over the peer window (see `peers`).
    pub peer_median: Option<f64>,
}

impl CustomerInsight {
    /// Builds the unscored insight of one customer.
    pub fn of(
        customer: usize,
        weeks: &[f64],
        context: Context,
        config: &Config,
        season: &super::season::Season,
    ) -> Self {
        let Context {
            loyalty_member,
            model_churn,
            segment_rule,
            peer_median,
        } = context;
        let peer = peer_median.map(|median| super::gaps::PeerComparison {
            own: super::peers::window_average(weeks, config),
            median,
        });
        let profile = SpendProfile::with_season(customer, weeks, config, season);
        let rule = segment_rule.and_then(|i| config.segments.rules.get(i));
        let thresholds = rule.map_or_else(|| config.gaps.clone(), |r| r.thresholds(&config.gaps));
        let shortfall = super::shortfall::assess(customer, weeks, season, config);
        let usual =
            super::shortfall::usual_before_spell(weeks, profile.weeks_since_last_purchase, config);
        let mut gaps = detect_gaps_with(
            &profile,
            model_churn,
            config,
            &thresholds,
            peer,
            shortfall,
            usual,
        );
        // The peer comparison is context: primary only when nothing about the customer's own
        // spend explains them.
        let own = |gap: &super::gaps::Gap| gap.kind != super::gaps::GapType::BelowPeers;
        let only_peers = !gaps.iter().any(own);
        let primary_at = (0..gaps.len())
            .filter(|i| only_peers || own(&gaps[*i]))
            .reduce(|best, i| {
                if gaps[i].explains_more_than(&gaps[best]) {
                    i
                } else {
                    best
                }
            });
        let primary_gap = primary_at.map(|i| gaps.remove(i));
        let opportunity = primary_gap.as_ref().map(|gap| {
            Opportunity::for_gap(
                gap,
                loyalty_member,
                config,
                rule.and_then(|r| r.actions.as_deref()),
            )
        });
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
            learned_recovery: None,
            model_churn,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::gaps::GapType;

    fn insight(weeks: &[f64], peer_median: f64) -> CustomerInsight {
        let config = Config::default();
        let data = crate::data::Dataset::from_rows(
            (0..weeks.len() as u64)
                .map(|w| {
                    chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap() + chrono::Days::new(7 * w)
                })
                .collect(),
            vec![("c".into(), weeks.to_vec())],
        );
        let season = super::super::season::Season::of(&data, &config);
        let context = Context {
            model_churn: Some(0.2),
            peer_median: Some(peer_median),
            ..Context::default()
        };
        CustomerInsight::of(0, weeks, context, &config, &season)
    }

    #[test]
    fn below_peers_is_secondary_unless_it_is_the_only_signal() {
        // A slide the customer's own rules see, and peers far above (a larger gap): the
        // customer's own gap explains it.
        let sliding = [
            40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 20.0, 15.0, 20.0, 15.0,
        ];
        let both = insight(&sliding, 400.0);
        assert_ne!(both.primary_gap.unwrap().kind, GapType::BelowPeers);
        assert!(
            both.secondary_gaps
                .iter()
                .any(|g| g.kind == GapType::BelowPeers)
        );
        // A mild slip no own rule flags, far below peers: the peer signal is the gap.
        let mild = [
            40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 40.0, 38.0, 38.0, 38.0, 38.0,
        ];
        let alone = insight(&mild, 400.0);
        let primary = alone.primary_gap.unwrap();
        assert_eq!(primary.kind, GapType::BelowPeers);
        assert!(alone.secondary_gaps.is_empty());
        assert_eq!(
            alone.opportunity.unwrap().actions,
            vec!["personalized_offer", "cross_sell_recommendations"]
        );
    }
}
