//! Analysis in customer partitions and its exact merge: the basis for running revgap over
//! more customers than one machine holds (docs/scaling.md).
//!
//! A customer's gaps, churn points and opportunity depend only on their own weeks once the
//! population-wide inputs are fixed: the seasonal profile, the fitted models and the peers'
//! medians. Those are computed once and handed to every partition; with the original
//! baseline and the rules nothing is shared at all. What does depend on everyone is the
//! priority score's two percentile factors: revenue impact (the percentile of the gap among
//! customers with a gap) and customer value (the percentile of total spend among all). So:
//!
//! 1. each partition is analysed on its own and reduced to a [`Partial`]: its summary counts,
//!    its money totals as exact sums, and its gap sizes and total spends, sorted;
//! 2. [`Scales::merge`] merges the sorted lists: the percentiles over everyone;
//! 3. each partition scores its customers on those scales and keeps its best `n` ([`top`]);
//! 4. [`merge_top`] merges the lists and [`merge_summaries`] the summaries.
//!
//! The result is bit for bit the single run's summary and top `n` (tested), because the
//! percentiles count the same values, the priority is the same arithmetic, the ranking uses the
//! same order, and the money totals are exactly rounded sums.

use super::summary::Summary;
use super::{Analysis, CustomerScore, compare_ids};
use crate::config::Config;
use crate::stats::exact_sum::ExactSum;
use std::cmp::Ordering;

/// Why an analysis of some of the customers would not be their part of everyone's: what
/// is fitted, ranked or profiled over every customer at once. Callers name themselves in
/// front of the message (`--stream`, `partial`, `analyze_partition`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NeedsEveryone {
    #[error(
        "the BG/NBD churn model is fitted on every customer at once; expected --churn-model rules"
    )]
    ChurnModel,
    #[error(
        "segment rules rank every customer against everyone; expected a config without [[segments.rules]]"
    )]
    SegmentRules,
    #[error(
        "{weeks} weeks take the seasonal baseline, whose profile is everyone's; expected --baseline original or trailing"
    )]
    SeasonalBaseline { weeks: usize },
}

/// Refuses a configuration whose analysis of a partition would not be exact.
pub fn check_config(config: &Config) -> Result<(), NeedsEveryone> {
    if config.model.churn_model != crate::config::ChurnModel::Rules {
        return Err(NeedsEveryone::ChurnModel);
    }
    if !config.segments.rules.is_empty() {
        return Err(NeedsEveryone::SegmentRules);
    }
    Ok(())
}

/// Refuses an analysis that took the seasonal baseline (chosen by the data's length under
/// `baseline = "auto"`, so known only once analysed), of data `weeks` long.
pub fn check_season(analysis: &Analysis, weeks: usize) -> Result<(), NeedsEveryone> {
    if analysis.season.kind() == super::season::BaselineKind::Seasonal {
        return Err(NeedsEveryone::SeasonalBaseline { weeks });
    }
    Ok(())
}

/// What one partition contributes before scoring.
#[derive(Debug, Clone)]
pub struct Partial {
    pub summary: Summary,
    /// Exact sums of the gap and the potential recovery of customers with a gap.
    pub(crate) sums: [ExactSum; 2],
    /// |primary gap| of each customer with a gap, sorted.
    pub(crate) gap_sizes: Vec<f64>,
    /// Total spend of every customer, sorted.
    pub(crate) revenues: Vec<f64>,
}

impl Partial {
    pub fn of(analysis: &Analysis, skipped_rows: u64) -> Self {
        let mut gap_sizes: Vec<f64> = analysis
            .scores
            .iter()
            .filter(|s| s.has_gap())
            .map(|s| s.gap_size)
            .collect();
        let mut revenues: Vec<f64> = analysis.scores.iter().map(|s| s.total_revenue).collect();
        gap_sizes.sort_unstable_by(f64::total_cmp);
        revenues.sort_unstable_by(f64::total_cmp);
        Self {
            gap_sizes,
            revenues,
            ..Self::without_scales(analysis, skipped_rows)
        }
    }

    /// The summary's part alone: the scales are kept elsewhere (on disk, when streaming).
    pub fn without_scales(analysis: &Analysis, skipped_rows: u64) -> Self {
        let (counted, sums) = Summary::with_sums(
            &analysis.scores,
            &analysis.config,
            skipped_rows,
            analysis.summary.as_of,
        );
        Self {
            summary: Summary {
                churn_model: analysis.summary.churn_model.clone(),
                churn_model_note: analysis.summary.churn_model_note.clone(),
                value_unit: analysis.summary.value_unit,
                baseline_kind: analysis.summary.baseline_kind,
                ..counted
            },
            sums,
            gap_sizes: Vec::new(),
            revenues: Vec::new(),
        }
    }
}

/// Where a customer's values stand among everyone's: how many total spends are at most
/// theirs, of how many, and the same for |gap| among customers with a gap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    pub revenues_at_most: u64,
    pub revenues: u64,
    pub gaps_at_most: u64,
    pub gaps: u64,
}

impl Standing {
    /// The score with the percentile factors (and so the priority, for a customer with a
    /// gap) of this standing.
    pub fn rescore(self, own: &CustomerScore, config: &Config) -> CustomerScore {
        let mut score = *own;
        score.customer_value = percentile(self.revenues_at_most, self.revenues);
        if score.has_gap() {
            score.revenue_impact = percentile(self.gaps_at_most, self.gaps);
            score.priority = score.factors().priority(config);
        }
        score
    }
}

/// 10 × (values ≤ the customer's) / n, as `scoring::percentile_scores` computes it.
fn percentile(at_most: u64, of: u64) -> f64 {
    10.0 * at_most as f64 / of as f64
}

/// The percentile scales over every partition.
#[derive(Debug, Clone, Default)]
pub struct Scales {
    gap_sizes: Vec<f64>,
    revenues: Vec<f64>,
}

impl Scales {
    pub fn merge(partials: &[Partial]) -> Self {
        Self::merged(
            partials
                .iter()
                .map(|p| (p.gap_sizes.clone(), p.revenues.clone()))
                .collect(),
        )
    }

    /// `merge`, giving each partial's lists up as they are merged (the scales are the one
    /// thing that grows with the customers: this keeps one copy of them, not two).
    pub fn merge_owned(partials: Vec<Partial>) -> Self {
        Self::merged(
            partials
                .into_iter()
                .map(|p| (p.gap_sizes, p.revenues))
                .collect(),
        )
    }

    fn merged(lists: Vec<(Vec<f64>, Vec<f64>)>) -> Self {
        let mut gap_sizes = Vec::with_capacity(lists.iter().map(|l| l.0.len()).sum());
        let mut revenues = Vec::with_capacity(lists.iter().map(|l| l.1.len()).sum());
        for (gaps, spends) in lists {
            gap_sizes.extend(gaps);
            revenues.extend(spends);
        }
        gap_sizes.sort_unstable_by(f64::total_cmp);
        revenues.sort_unstable_by(f64::total_cmp);
        Self {
            gap_sizes,
            revenues,
        }
    }

    /// A customer's score with the percentile factors (and so the priority, for a customer
    /// with a gap) on these scales.
    pub fn rescore(&self, own: &CustomerScore, config: &Config) -> CustomerScore {
        let at_most = |sorted: &[f64], value: f64| {
            sorted.partition_point(|x| x.total_cmp(&value) != Ordering::Greater) as u64
        };
        let standing = Standing {
            revenues_at_most: at_most(&self.revenues, own.total_revenue),
            revenues: self.revenues.len() as u64,
            gaps_at_most: if own.has_gap() {
                at_most(&self.gap_sizes, own.gap_size)
            } else {
                0
            },
            gaps: self.gap_sizes.len() as u64,
        };
        standing.rescore(own, config)
    }
}

/// A ranked customer as the merge keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The customer's index in their partition.
    pub index: usize,
    pub customer_id: String,
    pub priority: f64,
    pub gap_size: f64,
    pub churn_points: u32,
    /// The customer's scores, with the percentile factors on the global scales.
    pub score: CustomerScore,
}

/// The ranking's order: priority, then |gap|, then churn points, then id.
pub fn ranking_order(a: &Ranked, b: &Ranked) -> Ordering {
    b.priority
        .total_cmp(&a.priority)
        .then_with(|| b.gap_size.total_cmp(&a.gap_size))
        .then_with(|| b.churn_points.cmp(&a.churn_points))
        .then_with(|| compare_ids(&a.customer_id, &b.customer_id))
}

/// A partition's best `n` customers with a gap, scored on the global scales.
pub fn top(
    analysis: &Analysis,
    ids: &crate::data::IdColumn,
    scales: &Scales,
    config: &Config,
    n: usize,
) -> Vec<Ranked> {
    let rescored: Vec<CustomerScore> = analysis
        .scores
        .iter()
        .map(|own| scales.rescore(own, config))
        .collect();
    top_of(&rescored, ids, n)
}

/// The best `n` customers with a gap of scores already on the global scales.
pub fn top_of(scores: &[CustomerScore], ids: &crate::data::IdColumn, n: usize) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = scores
        .iter()
        .enumerate()
        .filter(|(_, s)| s.has_gap())
        .map(|(customer, score)| {
            let score = *score;
            Ranked {
                index: customer,
                customer_id: ids[customer].to_string(),
                priority: score.priority,
                gap_size: score.gap_size,
                churn_points: score.churn_points,
                score,
            }
        })
        .collect();
    ranked.sort_by(ranking_order);
    ranked.truncate(n);
    ranked
}

/// The best `n` of the partitions' lists.
pub fn merge_top(lists: Vec<Vec<Ranked>>, n: usize) -> Vec<Ranked> {
    let mut all: Vec<Ranked> = lists.into_iter().flatten().collect();
    all.sort_by(ranking_order);
    all.truncate(n);
    all
}

/// Partitions that cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    /// Another churn model, baseline, unit or as-of date (the first partition's, then the
    /// other's).
    #[error(
        "partitions were analysed differently: churn model {:?} against {:?}, as of {:?} against {:?}",
        churn_models[1], churn_models[0], as_of[1], as_of[0]
    )]
    AnalysedDifferently {
        churn_models: [String; 2],
        as_of: [Option<chrono::NaiveDate>; 2],
    },
}

/// The summary over every partition; partitions analysed differently (another churn model,
/// baseline, unit or as-of date) cannot be merged.
pub fn merge_summaries(partials: &[Partial]) -> Result<Summary, MergeError> {
    let Some(first) = partials.first() else {
        return Ok(Summary::default());
    };
    let mut merged = first.summary.clone();
    let mut sums = first.sums.clone();
    for partial in &partials[1..] {
        let other = &partial.summary;
        if (
            &other.churn_model,
            other.value_unit,
            other.baseline_kind,
            other.as_of,
        ) != (
            &merged.churn_model,
            merged.value_unit,
            merged.baseline_kind,
            merged.as_of,
        ) {
            return Err(MergeError::AnalysedDifferently {
                churn_models: [merged.churn_model.clone(), other.churn_model.clone()],
                as_of: [merged.as_of, other.as_of],
            });
        }
        merged.customers_analyzed += other.customers_analyzed;
        merged.new_customers += other.new_customers;
        merged.customers_with_gaps += other.customers_with_gaps;
        merged.gaps_total += other.gaps_total;
        for (kind, count) in &other.gaps_by_type {
            *merged.gaps_by_type.entry(kind).or_default() += count;
        }
        merged.high_severity_gaps += other.high_severity_gaps;
        merged.churn_risk_customers += other.churn_risk_customers;
        merged.high_churn_risk_customers += other.high_churn_risk_customers;
        merged.skipped_rows += other.skipped_rows;
        for (sum, part) in sums.iter_mut().zip(&partial.sums) {
            sum.merge(part);
        }
    }
    merged.total_revenue_gap = sums[0].value();
    merged.potential_recovery_revenue = sums[1].value();
    Ok(merged)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::Dataset;

    /// Customers split into `k` interleaved partitions, each a dataset of its own.
    pub(crate) fn partitions(dataset: &Dataset, k: usize) -> Vec<Dataset> {
        (0..k)
            .map(|part| {
                let rows = (0..dataset.customer_count())
                    .filter(|c| c % k == part)
                    .map(|c| {
                        (
                            dataset.customer_ids[c].to_string(),
                            dataset.weeks_of(c).to_vec(),
                        )
                    })
                    .collect();
                Dataset::from_rows(dataset.week_starts.clone(), rows)
            })
            .collect()
    }

    /// The same rows without attributes, as partitions of them have them.
    pub(crate) fn without_attributes(dataset: &Dataset) -> Dataset {
        Dataset::from_rows(
            dataset.week_starts.clone(),
            (0..dataset.customer_count())
                .map(|c| {
                    (
                        dataset.customer_ids[c].to_string(),
                        dataset.weeks_of(c).to_vec(),
                    )
                })
                .collect(),
        )
    }

    #[test]
    fn partitions_merge_to_the_single_runs_summary_and_top_n() {
        let generated = crate::data::generate::in_memory(&crate::data::generate::GenerateOptions {
            customers: 5_000,
            weeks: 26,
            seed: 11,
            ..Default::default()
        });
        // The same rows without attributes, as the partitions have them.
        let whole = without_attributes(&generated);
        let mut config = Config::default();
        config.model.churn_model = crate::config::ChurnModel::Rules;
        config.windows.baseline = crate::config::BaselineChoice::Original;
        let single = crate::engine::analyze(&whole, &config);
        let n = 100;
        for k in [1, 3, 7] {
            let parts = partitions(&whole, k);
            let analyses: Vec<Analysis> = parts
                .iter()
                .map(|part| crate::engine::analyze(part, &config))
                .collect();
            let partials: Vec<Partial> = analyses.iter().map(|a| Partial::of(a, 0)).collect();
            let scales = Scales::merge(&partials);
            let lists = analyses
                .iter()
                .zip(&parts)
                .map(|(analysis, part)| top(analysis, &part.customer_ids, &scales, &config, n))
                .collect();
            let merged = merge_top(lists, n);
            let expected: Vec<(String, f64)> = single.ranking[..n]
                .iter()
                .map(|c| {
                    (
                        whole.customer_ids[*c].to_string(),
                        single.scores[*c].priority,
                    )
                })
                .collect();
            let found: Vec<(String, f64)> = merged
                .iter()
                .map(|r| (r.customer_id.clone(), r.priority))
                .collect();
            assert_eq!(found, expected, "k = {k}");
            for ranked in &merged {
                let c = whole
                    .customer_ids
                    .iter()
                    .position(|id| id == ranked.customer_id.as_str())
                    .unwrap();
                let own = single.scores[c];
                assert_eq!(
                    (ranked.score.revenue_impact, ranked.score.customer_value),
                    (own.revenue_impact, own.customer_value)
                );
            }
            assert_eq!(
                merge_summaries(&partials).unwrap(),
                single.summary,
                "k = {k}"
            );
        }
    }

    #[test]
    fn partitions_analysed_differently_do_not_merge() {
        let dataset = crate::data::generate::in_memory(&crate::data::generate::GenerateOptions {
            customers: 50,
            ..Default::default()
        });
        let mut rules = Config::default();
        rules.model.churn_model = crate::config::ChurnModel::Rules;
        rules.windows.baseline = crate::config::BaselineChoice::Original;
        let mut seasonal = rules.clone();
        seasonal.windows.baseline = crate::config::BaselineChoice::Trailing;
        let partials = [
            Partial::of(&crate::engine::analyze(&dataset, &rules), 0),
            Partial::of(&crate::engine::analyze(&dataset, &seasonal), 0),
        ];
        let error = merge_summaries(&partials).unwrap_err().to_string();
        assert!(
            error.starts_with("partitions were analysed differently"),
            "{error}"
        );
    }
}
