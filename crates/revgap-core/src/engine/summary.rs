//! Portfolio totals. Money totals are deduplicated: one primary gap / opportunity per customer.

use super::CustomerScore;
use super::gaps::GapType;
use crate::config::Config;
use crate::stats::exact_sum::ExactSum;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The summary block of every report (its field names are part of the JSON schema).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, Default)]
pub struct Summary {
    pub customers_analyzed: usize,
    /// Customers with less history than the windows need: reported, not judged.
    pub new_customers: usize,
    pub customers_with_gaps: usize,
    pub gaps_total: usize,
    #[serde(deserialize_with = "gap_counts")]
    pub gaps_by_type: BTreeMap<&'static str, usize>,
    pub high_severity_gaps: usize,
    pub churn_risk_customers: usize,
    pub high_churn_risk_customers: usize,
    pub total_revenue_gap: f64,
    pub potential_recovery_revenue: f64,
    pub skipped_rows: u64,
    pub as_of: Option<NaiveDate>,
    /// Which churn probability the analysis used: `bgnbd`, `bgnbd+logistic`, `logistic` or
    /// `rules` (see `model::decide`).
    pub churn_model: String,
    /// Why, when it is a fallback or comes without intervals.
    pub churn_model_note: Option<String>,
    /// What the amounts count: "currency", or "purchases" for a log read without amounts.
    pub value_unit: crate::text::ValueUnit,
    /// The expected spend the recent weeks were compared with.
    pub baseline_kind: Option<super::season::BaselineKind>,
    /// Read part by part (`analyze --stream`): the counts are everyone's, but the analysis
    /// holds only the customers it kept, and segments that rank each customer against
    /// everyone were not computed.
    pub streamed: bool,
}

/// Reads gap counts keyed by the gap types' names (a partial file's summary); an unknown name
/// is an error.
fn gap_counts<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<&'static str, usize>, D::Error> {
    use serde::Deserialize;
    let named = BTreeMap::<String, usize>::deserialize(deserializer)?;
    named
        .into_iter()
        .map(|(name, count)| {
            GapType::ALL
                .iter()
                .map(|kind| kind.key())
                .find(|key| *key == name)
                .map(|key| (key, count))
                .ok_or_else(|| serde::de::Error::custom(format!("unknown gap type {name:?}")))
        })
        .collect()
}

impl Summary {
    /// What happened instead of the model the user asked for, or what it lacks, and why.
    pub fn model_fallback(&self) -> Option<&str> {
        self.churn_model_note.as_deref()
    }

    pub fn of(
        scores: &[CustomerScore],
        config: &Config,
        skipped_rows: u64,
        as_of: Option<NaiveDate>,
    ) -> Self {
        Self::with_sums(scores, config, skipped_rows, as_of).0
    }

    /// The summary and its money totals as exact sums (gap, potential recovery), which merge
    /// across partitions without changing a bit (see `partition`).
    pub fn with_sums(
        scores: &[CustomerScore],
        config: &Config,
        skipped_rows: u64,
        as_of: Option<NaiveDate>,
    ) -> (Self, [ExactSum; 2]) {
        let mut sums = [ExactSum::default(), ExactSum::default()];
        let mut by_type = [0usize; GapType::ALL.len()];
        let mut summary = Self {
            customers_analyzed: scores.len(),
            skipped_rows,
            as_of,
            ..Default::default()
        };
        for score in scores {
            for kind in GapType::ALL {
                let bit = 1 << kind as u8;
                if score.gap_types & bit != 0 {
                    by_type[kind as usize] += 1;
                    summary.gaps_total += 1;
                }
                if score.high_gap_types & bit != 0 {
                    summary.high_severity_gaps += 1;
                }
            }
            summary.new_customers += usize::from(score.is_new);
            if score.has_gap() {
                summary.customers_with_gaps += 1;
                sums[0].add(score.gap_size);
                sums[1].add(score.potential_revenue);
            }
            summary.churn_risk_customers += usize::from(score.at_churn_risk(config));
            summary.high_churn_risk_customers += usize::from(score.at_high_churn_risk(config));
        }
        summary.gaps_by_type = GapType::ALL
            .iter()
            .map(|kind| (kind.key(), by_type[*kind as usize]))
            .collect();
        summary.total_revenue_gap = sums[0].value();
        summary.potential_recovery_revenue = sums[1].value();
        (summary, sums)
    }
}
