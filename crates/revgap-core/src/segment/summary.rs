//! Segment summaries: customers, customers with gaps, revenue gap, potential recovery and
//! churn-risk customers per segment, for one dimension or several crossed. Every customer is
//! in exactly one row, so the rows add up exactly to the report's totals.

use super::{Dimension, Labels, Segmentation};
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::collections::BTreeMap;

/// What the analysis concluded about one customer, as the summary counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Outcome {
    pub has_gap: bool,
    /// |primary gap| per week (0 without a gap).
    pub revenue_gap: f64,
    pub potential_recovery: f64,
    pub churn_risk: bool,
}

/// One row: a combination of labels and its totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRow {
    pub key: BTreeMap<String, String>,
    pub customers: usize,
    pub customers_with_gaps: usize,
    pub revenue_gap: f64,
    pub potential_recovery: f64,
    pub churn_risk_customers: usize,
}

/// The summary over `dimensions`, largest revenue gap first (then by key).
pub fn summarize(labels: &[&Labels], outcomes: &[Outcome]) -> Vec<SegmentRow> {
    let mut rows: hashbrown::HashMap<Vec<u16>, SegmentRow, FxBuildHasher> =
        hashbrown::HashMap::default();
    // One key buffer for every lookup: a key is allocated only for a new row.
    let mut codes: Vec<u16> = Vec::with_capacity(labels.len());
    for (customer, outcome) in outcomes.iter().enumerate() {
        codes.clear();
        codes.extend(labels.iter().map(|l| l.codes[customer]));
        let row = rows
            .entry_ref(codes.as_slice())
            .or_insert_with(|| SegmentRow {
                key: labels
                    .iter()
                    .map(|l| (l.dimension.key().to_string(), l.of(customer).to_string()))
                    .collect(),
                customers: 0,
                customers_with_gaps: 0,
                revenue_gap: 0.0,
                potential_recovery: 0.0,
                churn_risk_customers: 0,
            });
        row.customers += 1;
        row.customers_with_gaps += usize::from(outcome.has_gap);
        row.revenue_gap += outcome.revenue_gap;
        row.potential_recovery += outcome.potential_recovery;
        row.churn_risk_customers += usize::from(outcome.churn_risk);
    }
    let mut rows: Vec<SegmentRow> = rows.into_values().collect();
    rows.sort_by(|a, b| {
        b.revenue_gap
            .total_cmp(&a.revenue_gap)
            .then_with(|| b.customers.cmp(&a.customers))
            .then_with(|| a.key.cmp(&b.key))
    });
    rows
}

/// The labels of each dimension asked for: from the segmentation, or (for an extra column not
/// configured) computed from the dataset.
pub fn labels_for<'a>(
    segmentation: &'a Segmentation,
    extra: &'a [Labels],
    dimensions: &[Dimension],
) -> Vec<&'a Labels> {
    dimensions
        .iter()
        .filter_map(|d| {
            segmentation
                .get(d)
                .or_else(|| extra.iter().find(|l| &l.dimension == d))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crossed_rows_add_up_to_the_totals() {
        let tier = Labels {
            dimension: Dimension::ValueTier,
            names: vec!["high".into(), "low".into()],
            codes: vec![0, 1, 1, 0],
        };
        let stage = Labels {
            dimension: Dimension::Lifecycle,
            names: vec!["active".into(), "lapsed".into()],
            codes: vec![0, 0, 1, 1],
        };
        let outcome = |gap: f64| Outcome {
            has_gap: gap > 0.0,
            revenue_gap: gap,
            potential_recovery: 4.0 * gap,
            churn_risk: gap > 5.0,
        };
        let outcomes = [outcome(10.0), outcome(0.0), outcome(3.0), outcome(7.5)];
        let rows = summarize(&[&tier, &stage], &outcomes);
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].key["value_tier"], "high");
        assert_eq!(rows[0].revenue_gap, 10.0, "largest gap first");
        assert_eq!(rows.iter().map(|r| r.customers).sum::<usize>(), 4);
        assert_eq!(rows.iter().map(|r| r.revenue_gap).sum::<f64>(), 20.5);
        assert_eq!(
            rows.iter().map(|r| r.churn_risk_customers).sum::<usize>(),
            2
        );
    }
}
