//! The analysis pipeline: spend profile → gaps → churn → opportunity → one insight per
//! customer → priority score → ranking → summary. Pure functions of (dataset, config).

pub mod baseline;
pub mod churn;
pub mod gaps;
pub mod insight;
pub mod opportunity;
pub mod scoring;
pub mod summary;

pub use baseline::{SpendProfile, Trend};
pub use churn::{ChurnAssessment, ChurnFactor};
pub use gaps::{Gap, GapType, Severity};
pub use insight::CustomerInsight;
pub use opportunity::{Opportunity, OpportunityType};
pub use scoring::ScoreFactors;
pub use summary::Summary;

use crate::config::Config;
use crate::data::Dataset;
use rayon::prelude::*;
use scoring::PercentileScale;
use std::cmp::Ordering;

/// The result of one analysis run.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// One insight per dataset customer, in dataset order.
    pub insights: Vec<CustomerInsight>,
    /// Indices into `insights` of the customers with a gap, best priority first.
    pub ranking: Vec<usize>,
    pub summary: Summary,
}

impl Analysis {
    /// The ranked insights.
    pub fn ranked(&self) -> impl Iterator<Item = &CustomerInsight> {
        self.ranking.iter().map(|i| &self.insights[*i])
    }
}

/// Runs the whole pipeline.
pub fn analyze(dataset: &Dataset, config: &Config) -> Analysis {
    let mut insights: Vec<CustomerInsight> = (0..dataset.customer_count())
        .into_par_iter()
        .map(|customer| {
            let loyal = dataset.profiles[customer]
                .as_ref()
                .and_then(|p| p.loyalty_member)
                .unwrap_or(false);
            CustomerInsight::of(customer, dataset.weeks_of(customer), loyal, config)
        })
        .collect();
    score(&mut insights, config);
    let ranking = rank(&insights, &dataset.customer_ids);
    for (position, index) in ranking.iter().enumerate() {
        insights[*index].rank = Some(position + 1);
    }
    let summary = Summary::of(&insights, config, dataset.load.skipped_rows, dataset.as_of);
    Analysis {
        insights,
        ranking,
        summary,
    }
}

fn score(insights: &mut [CustomerInsight], config: &Config) {
    let value_scale = PercentileScale::new(
        insights
            .par_iter()
            .map(|i| i.profile.total_revenue)
            .collect(),
    );
    let impact_scale = PercentileScale::new(
        insights
            .par_iter()
            .filter(|i| i.primary_gap.is_some())
            .map(CustomerInsight::gap_size)
            .collect(),
    );
    insights.par_iter_mut().for_each(|insight| {
        let Some(opportunity) = &insight.opportunity else {
            return;
        };
        let factors = ScoreFactors {
            revenue_impact: impact_scale.score(insight.gap_size()),
            churn_risk: f64::from(insight.churn.points) / 10.0,
            customer_value: value_scale.score(insight.profile.total_revenue),
            recovery_probability: opportunity.recovery_probability,
        };
        insight.priority_score = factors.priority(config);
        insight.score = Some(factors);
    });
}

/// Orders gap customers: priority, then |gap|, then churn, then id (all deterministic).
fn rank(insights: &[CustomerInsight], ids: &[String]) -> Vec<usize> {
    let mut ranking: Vec<usize> = (0..insights.len())
        .filter(|i| insights[*i].primary_gap.is_some())
        .collect();
    ranking.par_sort_unstable_by(|a, b| {
        let (x, y) = (&insights[*a], &insights[*b]);
        y.priority_score
            .total_cmp(&x.priority_score)
            .then_with(|| y.gap_size().total_cmp(&x.gap_size()))
            .then_with(|| y.churn.points.cmp(&x.churn.points))
            .then_with(|| compare_ids(&ids[x.customer], &ids[y.customer]))
    });
    ranking
}

/// Numeric ids in numeric order, others (and mixed) by text.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}
