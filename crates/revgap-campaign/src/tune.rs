//! Thresholds from outcomes: a search of the gap and churn thresholds on a backtest.
//!
//! The data are cut `horizon` weeks before their end; each customer active before the cut has
//! two outcomes in the weeks after it: **stopped buying** (no spend at all) and **declined**
//! (weekly spend below the base configuration's declining-revenue share of their spend before
//! the cut). The churn thresholds are searched for the churn points' AUC on "stopped buying";
//! then the gap thresholds for the priority ranking's AUC on "declined" (customers without a
//! gap rank last, tied). The search runs coordinate by coordinate over a grid on one half of
//! the customers (split by a hash of the id) and the gain is measured on the other half, so a
//! threshold that only fits noise shows no gain. Nothing is changed: the result is a suggested
//! configuration for the user to load.

use revgap_core::config::Config;
use revgap_core::data::Dataset;
use revgap_core::model::backtest::auc;
use serde::Serialize;

/// Share of the ranking the precision is measured on.
pub const TOP_SHARE: f64 = 0.10;
/// An AUC gain smaller than this on the search half is noise: the threshold stays.
const MIN_GAIN: f64 = 0.002;
/// Passes over the coordinates.
const PASSES: usize = 2;

/// One searched threshold: its config key, how to read and set it, and the values tried.
pub struct Threshold {
    pub key: &'static str,
    get: fn(&Config) -> f64,
    set: fn(&mut Config, f64),
    grid: &'static [f64],
}

/// The churn rules' thresholds.
pub fn churn_thresholds() -> Vec<Threshold> {
    vec![
        Threshold {
            key: "churn.strong_decline_pct",
            get: |c| c.churn.strong_decline_pct,
            set: |c, v| c.churn.strong_decline_pct = v,
            grid: &[-10.0, -15.0, -20.0, -25.0, -30.0, -40.0, -50.0],
        },
        Threshold {
            key: "churn.mild_decline_pct",
            get: |c| c.churn.mild_decline_pct,
            set: |c, v| c.churn.mild_decline_pct = v,
            grid: &[-2.5, -5.0, -7.5, -10.0, -15.0, -20.0],
        },
        Threshold {
            key: "churn.significant_decline_ratio",
            get: |c| c.churn.significant_decline_ratio,
            set: |c, v| c.churn.significant_decline_ratio = v,
            grid: &[0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
        },
    ]
}

/// The gap rules' thresholds.
pub fn gap_thresholds() -> Vec<Threshold> {
    vec![
        Threshold {
            key: "gaps.declining_revenue_pct",
            get: |c| c.gaps.declining_revenue_pct,
            set: |c, v| c.gaps.declining_revenue_pct = v,
            grid: &[-5.0, -10.0, -15.0, -20.0, -25.0, -30.0, -40.0],
        },
        Threshold {
            key: "gaps.below_baseline_pct",
            get: |c| c.gaps.below_baseline_pct,
            set: |c, v| c.gaps.below_baseline_pct = v,
            grid: &[-10.0, -15.0, -20.0, -25.0, -30.0, -40.0, -50.0],
        },
        Threshold {
            key: "gaps.zero_spend_weeks",
            get: |c| c.gaps.zero_spend_weeks as f64,
            set: |c, v| c.gaps.zero_spend_weeks = v as usize,
            grid: &[1.0, 2.0, 3.0, 4.0],
        },
    ]
}

/// What happened after the cut to each customer the backtest judges.
#[derive(Debug, Clone)]
pub struct Outcomes {
    /// Indices into the cut dataset.
    pub customers: Vec<usize>,
    pub stopped: Vec<bool>,
    pub declined: Vec<bool>,
    /// In the search half (else the validation half).
    pub in_search: Vec<bool>,
}

/// A cut without weeks on both sides (or not the first weeks of the data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the backtest needs weeks before and after the cut: {before} of {weeks} weeks before it")]
pub struct CutError {
    pub before: usize,
    pub weeks: usize,
}

impl Outcomes {
    /// The outcomes of the customers of `cut` (the first weeks of `full`) who spent before
    /// the cut. `decline_pct` is the base configuration's declining-revenue threshold.
    pub fn of(full: &Dataset, cut: &Dataset, decline_pct: f64) -> Result<Self, CutError> {
        let cut_weeks = cut.week_count();
        if cut_weeks == 0
            || cut_weeks >= full.week_count()
            || full.week_starts[..cut_weeks] != cut.week_starts[..]
        {
            return Err(CutError {
                before: cut_weeks,
                weeks: full.week_count(),
            });
        }
        let holdout_weeks = (full.week_count() - cut_weeks) as f64;
        let index = revgap_core::data::CustomerIndex::of(&full.customer_ids);
        let mut outcomes = Self {
            customers: Vec::new(),
            stopped: Vec::new(),
            declined: Vec::new(),
            in_search: Vec::new(),
        };
        for customer in 0..cut.customer_count() {
            let id = &cut.customer_ids[customer];
            let Some(position) = index.find(id) else {
                continue;
            };
            let weeks = full.weeks_of(position);
            let (before, after) = weeks.split_at(cut_weeks);
            let Some(first) = before.iter().position(|w| *w > 0.0) else {
                continue;
            };
            let rate_before = before[first..].iter().sum::<f64>() / (cut_weeks - first) as f64;
            let rate_after = after.iter().sum::<f64>() / holdout_weeks;
            outcomes.customers.push(customer);
            outcomes.stopped.push(after.iter().all(|w| *w <= 0.0));
            outcomes
                .declined
                .push(rate_after < (1.0 + decline_pct / 100.0) * rate_before);
            outcomes
                .in_search
                .push(crate::campaign::assign::bucket("revgap-tune", id).is_multiple_of(2));
        }
        Ok(outcomes)
    }
}

/// How well one configuration ranks, on one half.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quality {
    /// AUC of the priority ranking for "declined".
    pub gap_auc: f64,
    /// Share declined among the top 10 % by priority.
    pub gap_precision_top10: f64,
    /// AUC of the churn points for "stopped buying".
    pub churn_auc: f64,
    /// Share who stopped among the top 10 % by churn points.
    pub churn_precision_top10: f64,
}

/// Both halves.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Halves {
    pub search: Quality,
    pub validation: Quality,
}

/// The share of positives among the top `share` of scores; a tie block crossing the cut
/// counts with the fraction of it that fits (so the order inside a tie does not matter).
pub fn precision_at(scores: &[f64], positives: &[bool], share: f64) -> f64 {
    let wanted = (share * scores.len() as f64).ceil();
    if wanted < 1.0 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]));
    let (mut taken, mut hits, mut start) = (0.0, 0.0, 0);
    while start < order.len() && taken < wanted {
        let mut end = start;
        while end + 1 < order.len() && scores[order[end + 1]] == scores[order[start]] {
            end += 1;
        }
        let block = (end - start + 1) as f64;
        let block_hits = order[start..=end].iter().filter(|c| positives[**c]).count() as f64;
        let fits = (wanted - taken).min(block);
        hits += block_hits * fits / block;
        taken += fits;
        start = end + 1;
    }
    hits / wanted
}

/// Ranks `cut` under `config` and measures both halves.
pub fn evaluate(cut: &Dataset, config: &Config, outcomes: &Outcomes) -> Halves {
    let analysis = revgap_core::engine::analyze(cut, config);
    let half = |search: bool| {
        let mut priority = Vec::new();
        let mut points = Vec::new();
        let mut declined = Vec::new();
        let mut stopped = Vec::new();
        for (i, customer) in outcomes.customers.iter().enumerate() {
            if outcomes.in_search[i] != search {
                continue;
            }
            let score = &analysis.scores[*customer];
            priority.push(if score.has_gap() { score.priority } else { 0.0 });
            points.push(f64::from(score.churn_points));
            declined.push(outcomes.declined[i]);
            stopped.push(outcomes.stopped[i]);
        }
        Quality {
            gap_auc: auc(&priority, &declined),
            gap_precision_top10: precision_at(&priority, &declined, TOP_SHARE),
            churn_auc: auc(&points, &stopped),
            churn_precision_top10: precision_at(&points, &stopped, TOP_SHARE),
        }
    };
    Halves {
        search: half(true),
        validation: half(false),
    }
}

/// What a stage of the search maximises.
type Objective = fn(&Quality) -> f64;

/// Control members of measured campaigns with enough of them to judge the churn rules on:
/// they were never contacted, so whether they stopped buying in the follow-up is what the
/// churn score predicts, on real outcomes rather than a backtest.
pub const MIN_CONTROL_MEMBERS: usize = 100;

/// The campaigns' control members, each judged on the data up to their campaign's follow-up.
#[derive(Debug)]
pub struct ControlCheck {
    /// (data up to a follow-up start, members found in it, whether each stopped buying).
    pub groups: Vec<(Dataset, Vec<usize>, Vec<bool>)>,
    /// Control members in measured campaigns, and how many the data did not have.
    pub members: usize,
    pub missing: usize,
}

impl ControlCheck {
    pub fn stopped(&self) -> usize {
        self.groups
            .iter()
            .map(|g| g.2.iter().filter(|s| **s).count())
            .sum()
    }

    /// AUC of the churn points under `config` for "stopped buying in the follow-up".
    pub fn churn_auc(&self, config: &Config) -> f64 {
        let mut points = Vec::new();
        let mut stopped = Vec::new();
        for (dataset, customers, outcome) in &self.groups {
            let analysis = revgap_core::engine::analyze(dataset, config);
            points.extend(
                customers
                    .iter()
                    .map(|c| f64::from(analysis.scores[*c].churn_points)),
            );
            stopped.extend_from_slice(outcome);
        }
        auc(&points, &stopped)
    }
}

/// A threshold the search moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub key: &'static str,
    pub from: f64,
    pub to: f64,
}

/// The search's result.
#[derive(Debug, Clone)]
pub struct Tuned {
    pub config: Config,
    pub before: Halves,
    pub after: Halves,
    pub changes: Vec<Change>,
    /// Configurations ranked.
    pub evaluations: usize,
}

/// Searches the churn thresholds (churn AUC), then the gap thresholds (gap AUC), on the
/// search half; `progress` is told each evaluation.
pub fn search(
    cut: &Dataset,
    base: &Config,
    outcomes: &Outcomes,
    mut progress: impl FnMut(usize),
) -> Tuned {
    let mut evaluations = 0;
    let mut evaluate_counted = |config: &Config| {
        evaluations += 1;
        progress(evaluations);
        evaluate(cut, config, outcomes)
    };
    let before = evaluate_counted(base);
    let mut config = base.clone();
    let mut current = before;
    let stages: [(Vec<Threshold>, Objective); 2] = [
        (churn_thresholds(), |q| q.churn_auc),
        (gap_thresholds(), |q| q.gap_auc),
    ];
    for (thresholds, objective) in &stages {
        for _ in 0..PASSES {
            let mut moved = false;
            for threshold in thresholds {
                let held = (threshold.get)(&config);
                let mut best: Option<(f64, Halves)> = None;
                for value in threshold.grid.iter().copied().filter(|v| *v != held) {
                    let mut candidate = config.clone();
                    (threshold.set)(&mut candidate, value);
                    // A value the engine would refuse (e.g. mild below strong) is not a
                    // suggestion.
                    let Ok(candidate) = candidate.validated() else {
                        continue;
                    };
                    let found = evaluate_counted(&candidate);
                    let score = objective(&found.search);
                    let to_beat = best.map_or(objective(&current.search) + MIN_GAIN, |b| {
                        objective(&b.1.search)
                    });
                    if score.is_finite() && score > to_beat {
                        best = Some((value, found));
                    }
                }
                if let Some((value, found)) = best {
                    (threshold.set)(&mut config, value);
                    current = found;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
    }
    let changes = stages
        .iter()
        .flat_map(|(thresholds, _)| thresholds.iter())
        .filter_map(|t| {
            let (from, to) = ((t.get)(base), (t.get)(&config));
            (from != to).then_some(Change {
                key: t.key,
                from,
                to,
            })
        })
        .collect();
    Tuned {
        config,
        before,
        after: current,
        changes,
        evaluations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_counts_a_tie_block_by_the_share_that_fits() {
        // Top 10 % of 10 = 1 slot; the top score is a tie of two, one positive: 0.5.
        let scores = [9.0, 9.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0, 0.0, 0.0];
        let positives = [
            true, false, true, false, false, false, false, false, false, false,
        ];
        assert_eq!(precision_at(&scores, &positives, 0.10), 0.5);
        // 3 slots: both 9s and the 5: 2 of 3.
        assert!((precision_at(&scores, &positives, 0.30) - 2.0 / 3.0).abs() < 1e-12);
        assert!(precision_at(&[], &[], 0.10).is_nan());
    }
}
