//! Portfolio totals. Money totals are deduplicated: one primary gap / opportunity per customer.

use super::gaps::{GapType, Severity};
use super::insight::CustomerInsight;
use crate::config::Config;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The summary block of every report (its field names are part of the JSON schema).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub customers_analyzed: usize,
    pub customers_with_gaps: usize,
    pub gaps_total: usize,
    pub gaps_by_type: BTreeMap<&'static str, usize>,
    pub high_severity_gaps: usize,
    pub churn_risk_customers: usize,
    pub high_churn_risk_customers: usize,
    pub total_revenue_gap: f64,
    pub potential_recovery_revenue: f64,
    pub skipped_rows: u64,
    pub as_of: Option<NaiveDate>,
}

impl Summary {
    pub fn of(
        insights: &[CustomerInsight],
        config: &Config,
        skipped_rows: u64,
        as_of: Option<NaiveDate>,
    ) -> Self {
        let mut gaps_by_type: BTreeMap<&'static str, usize> =
            GapType::ALL.iter().map(|t| (t.key(), 0)).collect();
        let mut summary = Self {
            customers_analyzed: insights.len(),
            customers_with_gaps: 0,
            gaps_total: 0,
            gaps_by_type: BTreeMap::new(),
            high_severity_gaps: 0,
            churn_risk_customers: 0,
            high_churn_risk_customers: 0,
            total_revenue_gap: 0.0,
            potential_recovery_revenue: 0.0,
            skipped_rows,
            as_of,
        };
        for insight in insights {
            for gap in insight.gaps() {
                summary.gaps_total += 1;
                *gaps_by_type.entry(gap.kind.key()).or_insert(0) += 1;
                if gap.severity == Severity::High {
                    summary.high_severity_gaps += 1;
                }
            }
            if insight.primary_gap.is_some() {
                summary.customers_with_gaps += 1;
                summary.total_revenue_gap += insight.gap_size();
            }
            if let Some(opportunity) = &insight.opportunity {
                summary.potential_recovery_revenue += opportunity.potential_revenue;
            }
            summary.churn_risk_customers += usize::from(insight.churn.is_risk(config));
            summary.high_churn_risk_customers += usize::from(insight.churn.is_high_risk(config));
        }
        summary.gaps_by_type = gaps_by_type;
        summary
    }
}
