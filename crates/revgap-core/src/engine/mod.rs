//! The analysis pipeline: spend profile → gaps → churn → opportunity → one insight per
//! customer → priority score → ranking → summary. Pure functions of (dataset, config).
//!
//! Only a compact [`CustomerScore`] is kept per customer (about 64 bytes); the full
//! [`CustomerInsight`] is recomputed on demand from the dataset, which takes well under a
//! microsecond, so reports and the explorer build only the customers they show.

pub mod baseline;
pub mod churn;
pub mod filter;
pub mod gaps;
pub mod insight;
pub mod learned;
pub mod opportunity;
pub mod partial_file;
pub mod partition;
pub mod peers;
pub mod scoring;
pub mod season;
pub mod shortfall;
pub mod summary;

pub use baseline::{SpendProfile, Trend};
pub use churn::{ChurnAssessment, ChurnFactor};
pub use gaps::{Gap, GapType, Severity};
pub use insight::CustomerInsight;
pub use opportunity::{Opportunity, OpportunityType};
pub use scoring::ScoreFactors;
pub use summary::Summary;

use crate::config::Config;
use crate::data::{Dataset, IdColumn};
use rayon::prelude::*;
use scoring::percentile_scores;
use std::cmp::Ordering;

/// What the analysis keeps about every customer.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct CustomerScore {
    pub total_revenue: f64,
    /// |primary gap| in weekly dollars (0 without a gap).
    pub gap_size: f64,
    /// Potential revenue of the primary opportunity (0 without a gap).
    pub potential_revenue: f64,
    /// Recovery-probability factor of the primary opportunity.
    pub recovery_probability: f64,
    pub priority: f64,
    /// Percentile factors (0–10), filled in by scoring.
    pub revenue_impact: f64,
    pub customer_value: f64,
    pub churn_points: u32,
    /// Model P(no purchase in the horizon), when the model is in use.
    pub model_churn: Option<f64>,
    pub weeks_since_last_purchase: u32,
    /// 1-based rank among customers with a gap; 0 for none.
    pub rank: u32,
    pub primary: Option<GapType>,
    pub primary_severity: Option<Severity>,
    /// Bit per gap type present, and per gap type present with high severity.
    pub gap_types: u8,
    pub high_gap_types: u8,
    /// Too little history to judge (see `SpendProfile::is_new`).
    pub is_new: bool,
}

impl CustomerScore {
    fn of(insight: &CustomerInsight) -> Self {
        let mut gap_types = 0;
        let mut high_gap_types = 0;
        for gap in insight.gaps() {
            gap_types |= 1 << gap.kind as u8;
            if gap.severity == Severity::High {
                high_gap_types |= 1 << gap.kind as u8;
            }
        }
        Self {
            total_revenue: insight.profile.total_revenue,
            gap_size: insight.gap_size(),
            potential_revenue: insight
                .opportunity
                .as_ref()
                .map_or(0.0, |o| o.potential_revenue),
            recovery_probability: insight
                .opportunity
                .as_ref()
                .map_or(0.0, |o| o.recovery_probability),
            priority: 0.0,
            revenue_impact: 0.0,
            customer_value: 0.0,
            churn_points: insight.churn.points,
            model_churn: None,
            weeks_since_last_purchase: insight.churn.weeks_since_last_purchase as u32,
            rank: 0,
            primary: insight.primary_gap.map(|g| g.kind),
            primary_severity: insight.primary_gap.map(|g| g.severity),
            gap_types,
            high_gap_types,
            is_new: insight.profile.is_new,
        }
    }

    pub fn has_gap(&self) -> bool {
        self.primary.is_some()
    }
}

/// The result of one analysis run.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// One compact score per dataset customer, in dataset order.
    pub scores: Vec<CustomerScore>,
    /// Indices of the customers with a gap, best priority first.
    pub ranking: Vec<usize>,
    pub summary: Summary,
    /// The configuration the analysis ran with.
    pub config: Config,
    /// The fitted models, when BG/NBD describes the data (see `model::decide`).
    pub models: Option<std::sync::Arc<crate::model::predict::Models>>,
    /// The churn model learned without BG/NBD, when BG/NBD could not be used.
    pub learned_churn: Option<std::sync::Arc<crate::model::decide::LearnedChurn>>,
    /// Which churn probability is in use: `bgnbd`, `bgnbd+logistic`, `logistic` or `rules`.
    pub churn_model: String,
    /// Why, when it is a fallback or comes without intervals.
    pub churn_model_note: Option<String>,
    /// The churn probability's check on a second temporal split, and whether it was
    /// recalibrated (none under the rules).
    pub recalibration: Option<crate::model::recalibrate::Recalibration>,
    /// Every customer's segments (value tier, lifecycle, RFM, bands, configured extras).
    pub segments: crate::segment::Segmentation,
    /// The baseline in use and the seasonal profile behind it.
    pub season: std::sync::Arc<season::Season>,
    /// Per customer, 1 + the segment rule whose thresholds applied (0: none); empty without
    /// rules.
    pub segment_rules: Vec<u16>,
    /// Per customer, the peers' median recent weekly spend (see `peers`); empty when the
    /// peer baseline is not in use.
    pub peer_medians: Vec<Option<f64>>,
    /// What measured campaigns taught, when the analysis was given it (see `learned`).
    pub learned: Option<std::sync::Arc<learned::LearnedRecovery>>,
}

impl Analysis {
    /// A customer's churn probability (0–1): the model's, or the rules' band for their points.
    pub fn churn_probability(&self, customer: usize) -> f64 {
        let score = &self.scores[customer];
        score
            .model_churn
            .unwrap_or_else(|| self.config.churn.probability_of(score.churn_points))
    }

    /// The learned lift applied to a customer, with their value tier, when the analysis was
    /// given a learned table.
    pub fn learned_lift(&self, customer: usize) -> Option<(learned::AppliedLift, &str)> {
        let learned = self.learned.as_ref()?;
        let tier = self
            .segments
            .get(&crate::segment::Dimension::ValueTier)
            .map_or("", |labels| labels.of(customer));
        Some((learned.for_tier(tier), tier))
    }

    /// Expected incremental weekly recovery (gap × learned lift) of a customer with a gap,
    /// when the analysis learned from measured campaigns.
    pub fn expected_incremental_recovery(&self, customer: usize) -> Option<f64> {
        let score = &self.scores[customer];
        if !score.has_gap() {
            return None;
        }
        self.learned_lift(customer)
            .map(|(lift, _)| lift.expected_recovery(score.gap_size))
    }

    /// The customers with a gap in the order a campaign should pick them: by expected
    /// incremental recovery when learned (ties by the priority ranking), else the ranking.
    pub fn targeting_order(&self) -> Vec<usize> {
        let mut order = self.ranking.clone();
        if self.learned.is_some() {
            let expected: Vec<f64> = order
                .iter()
                .map(|c| self.expected_incremental_recovery(*c).unwrap_or(0.0))
                .collect();
            let mut positions: Vec<usize> = (0..order.len()).collect();
            // Stable: equal expectations keep the priority order.
            positions.sort_by(|a, b| expected[*b].total_cmp(&expected[*a]));
            order = positions.into_iter().map(|p| self.ranking[p]).collect();
        }
        order
    }

    /// The model's churn probability of a customer (BG/NBD or the learned model), none under
    /// the rules.
    pub fn model_churn(&self, customer: usize) -> Option<f64> {
        match (&self.models, &self.learned_churn) {
            (Some(models), _) => models.churn_probability(customer),
            (None, Some(learned)) => learned.probability(customer),
            (None, None) => None,
        }
    }

    /// Reads a little of everything `insight` and the reports read about a customer (see
    /// `Dataset::warm`).
    pub fn warm(&self, dataset: &Dataset, customer: usize) -> u64 {
        dataset.warm(customer)
            ^ u64::from(self.scores[customer].churn_points)
            ^ self.segments.warm(customer)
            ^ self
                .peer_medians
                .get(customer)
                .map_or(0, |m| m.is_some() as u64)
            ^ self
                .segment_rules
                .get(customer)
                .map_or(0, |r| u64::from(*r))
    }

    /// The full, scored insight of one customer (recomputed from the dataset).
    pub fn insight(&self, dataset: &Dataset, customer: usize) -> CustomerInsight {
        let mut insight = build_insight(
            dataset,
            &self.config,
            customer,
            self.model_churn(customer),
            &self.season,
            rule_of(&self.segment_rules, customer),
            self.peer_medians.get(customer).copied().flatten(),
        );
        let score = &self.scores[customer];
        if let (Some(opportunity), Some((lift, tier))) =
            (insight.opportunity.as_mut(), self.learned_lift(customer))
        {
            insight.learned_recovery = Some(learned::LearnedNote {
                lift,
                tier: tier.to_string(),
                default_factor: opportunity.recovery_probability,
            });
            opportunity.recovery_probability = lift.recovery_factor();
        }
        if insight.opportunity.is_some() {
            let factors = score.factors();
            insight.priority_score = factors.priority(&self.config);
            insight.score = Some(factors);
        }
        insight.rank = (score.rank > 0).then_some(score.rank as usize);
        if let Some(models) = &self.models {
            let settings = &self.config.model;
            insight.prediction = models.predict(
                customer,
                insight.profile.baseline_avg,
                settings.interval,
                settings.bootstrap_draws,
            );
        }
        if let Some(probability) = score.model_churn {
            insight.churn.probability = probability;
        }
        insight
    }

    /// The insights of the ranked customers, best first.
    pub fn ranked<'a>(
        &'a self,
        dataset: &'a Dataset,
    ) -> impl Iterator<Item = CustomerInsight> + 'a {
        self.ranking.iter().map(move |c| self.insight(dataset, *c))
    }

    /// What the segment summaries count for every customer, in dataset order.
    pub fn segment_outcomes(&self) -> Vec<crate::segment::summary::Outcome> {
        self.scores
            .iter()
            .map(|score| crate::segment::summary::Outcome {
                has_gap: score.has_gap(),
                revenue_gap: if score.has_gap() { score.gap_size } else { 0.0 },
                potential_recovery: score.potential_revenue,
                churn_risk: score.at_churn_risk(&self.config),
            })
            .collect()
    }

    /// Every customer's insight, in dataset order (convenient for small data and tests).
    pub fn insights(&self, dataset: &Dataset) -> Vec<CustomerInsight> {
        (0..self.scores.len())
            .map(|c| self.insight(dataset, c))
            .collect()
    }
}

impl CustomerScore {
    /// At churn risk: the model's probability from `model.flag_probability` when the model is
    /// in use, else the rules' points from `churn.risk_points` (one rule for every count).
    pub fn at_churn_risk(&self, config: &Config) -> bool {
        self.model_churn
            .map_or(self.churn_points >= config.churn.risk_points, |p| {
                p >= config.model.flag_probability
            })
    }

    /// At high churn risk: from `model.high_risk_probability`, else `churn.high_risk_points`.
    pub fn at_high_churn_risk(&self, config: &Config) -> bool {
        self.model_churn
            .map_or(self.churn_points >= config.churn.high_risk_points, |p| {
                p >= config.model.high_risk_probability
            })
    }

    /// The four priority factors.
    pub fn factors(&self) -> ScoreFactors {
        ScoreFactors {
            revenue_impact: self.revenue_impact,
            churn_risk: self
                .model_churn
                .map_or(f64::from(self.churn_points) / 10.0, |p| 10.0 * p),
            customer_value: self.customer_value,
            recovery_probability: self.recovery_probability,
        }
    }
}

fn build_insight(
    dataset: &Dataset,
    config: &Config,
    customer: usize,
    model_churn: Option<f64>,
    season: &season::Season,
    segment_rule: Option<usize>,
    peer_median: Option<f64>,
) -> CustomerInsight {
    let loyal = dataset.profiles[customer]
        .as_ref()
        .and_then(|p| p.loyalty_member)
        .unwrap_or(false);
    CustomerInsight {
        unit: dataset.unit,
        ..CustomerInsight::of(
            customer,
            &dataset.weeks_of(customer),
            insight::Context {
                loyalty_member: loyal,
                model_churn,
                segment_rule,
                peer_median,
            },
            config,
            season,
        )
    }
}

/// Runs the whole pipeline without anything learned from campaigns.
pub fn analyze(dataset: &Dataset, config: &Config) -> Analysis {
    analyze_learned(dataset, config, None)
}

/// Runs the whole pipeline. With the model in use it is fitted first, so the gap rules can
/// judge each customer against their own purchase rhythm (see `gaps`). With a learned table,
/// each gap's recovery factor is the measured incremental recovery of the customer's value
/// tier instead of the configured default.
pub fn analyze_learned(
    dataset: &Dataset,
    config: &Config,
    learned: Option<std::sync::Arc<learned::LearnedRecovery>>,
) -> Analysis {
    let started = std::time::Instant::now();
    let (decision, season) = rayon::join(
        || crate::model::decide::decide(dataset, config),
        || std::sync::Arc::new(season::Season::of(dataset, config)),
    );
    let models = decision.models.clone();
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "models and season"
    );
    let p_alive: Option<Vec<Option<f64>>> = models.as_ref().map(|m| {
        m.summaries
            .iter()
            .map(|s| {
                s.as_ref()
                    .map(|s| m.bgnbd.params.p_alive(f64::from(s.x), s.t_x, s.t))
            })
            .collect()
    });
    let multipliers = (!season.multipliers.is_empty()).then_some(season.multipliers.as_slice());
    let segment_of = || crate::segment::segment(dataset, config, p_alive.as_deref(), multipliers);
    // Segment rules, the peer baseline and learned recovery (by value tier) need the segments
    // before the insights; otherwise segments are built alongside scoring.
    let use_peers = models.is_some() && config.peers.enabled;
    let early =
        (!config.segments.rules.is_empty() || use_peers || learned.is_some()).then(segment_of);
    let learned_tiers = learned.as_ref().and_then(|_| {
        early
            .as_ref()
            .and_then(|s| s.get(&crate::segment::Dimension::ValueTier))
    });
    let segment_rules = early.as_ref().map_or_else(Vec::new, |segments| {
        crate::segment::matching_rules(segments, &config.segments.rules)
    });
    let peer_medians = match (&early, use_peers) {
        (Some(segments), true) => peers::medians(dataset, config, &season, segments),
        _ => Vec::new(),
    };
    let mut scores: Vec<CustomerScore> = (0..dataset.customer_count())
        .into_par_iter()
        .map(|customer| {
            let model_churn = decision.churn_probability(customer);
            let rule = rule_of(&segment_rules, customer);
            let mut score = CustomerScore {
                model_churn,
                ..CustomerScore::of(&build_insight(
                    dataset,
                    config,
                    customer,
                    model_churn,
                    &season,
                    rule,
                    peer_medians.get(customer).copied().flatten(),
                ))
            };
            if let Some(table) = learned.as_deref()
                && score.has_gap()
            {
                let tier = learned_tiers.map_or("", |labels| labels.of(customer));
                score.recovery_probability = table.for_tier(tier).recovery_factor();
            }
            score
        })
        .collect();
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "insights");
    // Segments and scoring are independent: each fills the other's idle moments.
    let (segments, ranking) = rayon::join(
        || early.clone().unwrap_or_else(segment_of),
        || {
            score(&mut scores, config);
            rank(&scores, &dataset.customer_ids)
        },
    );
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "segmented, scored and ranked"
    );
    for (position, customer) in ranking.iter().enumerate() {
        scores[*customer].rank = position as u32 + 1;
    }
    let churn_model = decision.method.key().to_string();
    Analysis {
        summary: Summary {
            churn_model: churn_model.clone(),
            churn_model_note: decision.note.clone(),
            value_unit: dataset.unit,
            baseline_kind: Some(season.kind()),
            ..Summary::of(&scores, config, dataset.load.skipped_rows, dataset.as_of)
        },
        scores,
        ranking,
        config: config.clone(),
        models,
        learned_churn: decision.learned.clone(),
        churn_model,
        churn_model_note: decision.note,
        recalibration: decision.recalibration,
        segments,
        season,
        segment_rules,
        peer_medians,
        learned,
    }
}

/// The segment rule of a customer, from `Analysis::segment_rules`.
fn rule_of(segment_rules: &[u16], customer: usize) -> Option<usize> {
    segment_rules
        .get(customer)
        .and_then(|r| r.checked_sub(1))
        .map(usize::from)
}

/// Fills in the percentile factors and the priority of every customer with a gap.
fn score(scores: &mut [CustomerScore], config: &Config) {
    let values: Vec<f64> = scores.par_iter().map(|s| s.total_revenue).collect();
    for (score, value) in scores.iter_mut().zip(percentile_scores(&values)) {
        score.customer_value = value;
    }
    let gapped: Vec<usize> = (0..scores.len()).filter(|c| scores[*c].has_gap()).collect();
    let sizes: Vec<f64> = gapped.iter().map(|c| scores[*c].gap_size).collect();
    for (customer, impact) in gapped.iter().zip(percentile_scores(&sizes)) {
        scores[*customer].revenue_impact = impact;
    }
    scores
        .par_iter_mut()
        .filter(|s| s.has_gap())
        .for_each(|score| {
            score.priority = score.factors().priority(config);
        });
}

/// Orders gap customers: priority, then |gap|, then churn, then id (all deterministic).
fn rank(scores: &[CustomerScore], ids: &IdColumn) -> Vec<usize> {
    let mut keys: Vec<RankKey> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.has_gap())
        .map(|(c, s)| (s.priority, s.gap_size, s.churn_points, c as u32))
        .collect();
    sort_ranking(&mut keys, ids);
    keys.into_iter().map(|k| k.3 as usize).collect()
}

/// What the ranking sorts by: priority, |gap|, churn points, and the index of the id in the
/// id column that breaks the last ties. Compact keys keep the comparisons in cache.
pub type RankKey = (f64, f64, u32, u32);

/// Sorts into the ranking's order: priority, then |gap|, then churn, then id, each best first.
pub fn sort_ranking(keys: &mut [RankKey], ids: &IdColumn) {
    keys.par_sort_unstable_by(|x, y| {
        y.0.total_cmp(&x.0)
            .then_with(|| y.1.total_cmp(&x.1))
            .then_with(|| y.2.cmp(&x.2))
            .then_with(|| compare_ids(&ids[x.3 as usize], &ids[y.3 as usize]))
    });
}

/// The high-churn list's order: most churn points first, then the longest lapse, then id,
/// so the list is reproducible.
pub fn churn_list_order(a: (&CustomerScore, &str), b: (&CustomerScore, &str)) -> Ordering {
    let ((x, x_id), (y, y_id)) = (a, b);
    // The model's probability first when there is one (both or neither have one).
    let probability = |s: &CustomerScore| s.model_churn.unwrap_or(0.0);
    probability(y)
        .total_cmp(&probability(x))
        .then(y.churn_points.cmp(&x.churn_points))
        .then(
            y.weeks_since_last_purchase
                .cmp(&x.weeks_since_last_purchase),
        )
        .then_with(|| compare_ids(x_id, y_id))
}

/// Numeric ids in numeric order, others (and mixed) by text.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}
