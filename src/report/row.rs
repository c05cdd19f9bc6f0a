//! One customer as a flat, typed row: the columns of the CSV and Parquet reports, defined
//! once. CSV prints the cells as text; Parquet stores them typed.

use super::ReportContext;
use super::format::round;
use crate::engine::CustomerInsight;

/// A cell: `None` is an empty CSV field and a Parquet null.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Int(Option<i64>),
    /// A number rounded to `places` decimals at output.
    Float(Option<f64>, i32),
    Text(Option<String>),
    Bool(Option<bool>),
}

impl Cell {
    /// The CSV field.
    pub fn to_csv(&self) -> String {
        let mut field = String::new();
        self.write_csv(&mut field);
        field
    }

    /// Appends the CSV field to `out` (a row's fields reuse one buffer).
    pub fn write_csv(&self, out: &mut String) {
        use std::fmt::Write;
        // Writing to a String cannot fail.
        let _ = match self {
            Self::Int(Some(value)) => write!(out, "{value}"),
            Self::Float(Some(value), places) => write!(out, "{}", round(*value, *places)),
            Self::Text(Some(text)) => {
                out.push_str(&crate::text::csv_cell(text));
                Ok(())
            }
            Self::Bool(Some(value)) => write!(out, "{value}"),
            Self::Int(None) | Self::Float(None, _) | Self::Text(None) | Self::Bool(None) => Ok(()),
        };
    }
}

/// The fixed columns, then one per segment dimension, then `baseline_kind`.
pub const COLUMNS: [&str; 33] = [
    "rank",
    "customer_id",
    "priority_score",
    "primary_gap_type",
    "severity",
    "gap_amount",
    "gap_pct",
    "current",
    "expected",
    "weeks_at_risk",
    "secondary_gaps",
    "churn_score",
    "churn_probability",
    "churn_factors",
    "weeks_since_last_purchase",
    "opportunity_type",
    "potential_revenue",
    "actions",
    "revenue_impact",
    "churn_risk",
    "customer_value",
    "recovery_probability",
    "baseline_avg",
    "recent_avg",
    "trend_pct",
    "age",
    "loyalty_member",
    "rationale_source",
    "grounding",
    "rationale",
    "p_alive",
    "revenue_at_risk",
    "revenue_at_risk_interval",
];

/// Every column's name for this analysis.
pub fn header(context: &ReportContext, options: super::Options) -> Vec<String> {
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(
        context
            .analysis
            .segments
            .dimensions
            .iter()
            .map(|l| l.dimension.key().to_string()),
    );
    header.push("baseline_kind".into());
    if options.with_attributes {
        header.push("household_size".into());
        header.extend(
            context
                .dataset
                .extra_columns
                .iter()
                .map(|name| format!("attribute_{name}")),
        );
    }
    header
}

/// One customer's cells, in `header` order. The rationale text only `with_rationale`.
pub fn cells(
    context: &ReportContext,
    insight: &CustomerInsight,
    options: super::Options,
) -> Vec<Cell> {
    let with_rationale = options.with_rationale;
    let gap = insight.primary_gap;
    let opportunity = insight.opportunity.as_ref();
    let factors = insight.score;
    let profile = context.profile(insight.customer);
    let shown = context.rationale_shown(insight, with_rationale);
    let text = |value: String| Cell::Text(Some(value));
    let joined = |values: Vec<&str>| text(values.join(";"));
    let mut cells = vec![
        Cell::Int(insight.rank.map(|r| r as i64)),
        text(context.dataset.customer_ids[insight.customer].to_string()),
        Cell::Float(Some(insight.priority_score), 4),
        Cell::Text(gap.map(|g| g.kind.key().to_string())),
        Cell::Text(gap.map(|g| g.severity.key().to_string())),
        Cell::Float(gap.map(|g| g.gap_amount), 2),
        Cell::Float(gap.map(|g| g.gap_pct), 2),
        Cell::Float(gap.map(|g| g.current), 2),
        Cell::Float(gap.map(|g| g.expected), 2),
        Cell::Int(gap.map(|g| g.weeks_at_risk as i64)),
        joined(
            insight
                .secondary_gaps
                .iter()
                .map(|g| g.kind.key())
                .collect(),
        ),
        Cell::Float(Some(insight.churn.score()), 2),
        Cell::Float(Some(insight.churn.probability), 2),
        joined(insight.churn.factors.iter().map(|f| f.key()).collect()),
        Cell::Int(Some(insight.churn.weeks_since_last_purchase as i64)),
        Cell::Text(opportunity.map(|o| o.kind.key().to_string())),
        Cell::Float(opportunity.map(|o| o.potential_revenue), 2),
        Cell::Text(opportunity.map(|o| o.actions.join(";"))),
        Cell::Float(factors.map(|f| f.revenue_impact), 4),
        Cell::Float(factors.map(|f| f.churn_risk), 4),
        Cell::Float(factors.map(|f| f.customer_value), 4),
        Cell::Float(factors.map(|f| f.recovery_probability), 4),
        Cell::Float(Some(insight.profile.baseline_avg), 2),
        Cell::Float(Some(insight.profile.recent_avg), 2),
        Cell::Float(Some(insight.profile.trend_pct), 2),
        Cell::Int(profile.and_then(|p| p.age).map(i64::from)),
        Cell::Bool(profile.and_then(|p| p.loyalty_member)),
        text(shown.source.key().to_string()),
        text(shown.grounding.to_string()),
        Cell::Text(with_rationale.then_some(shown.text)),
        Cell::Float(insight.prediction.map(|p| p.p_alive), 4),
        Cell::Float(insight.prediction.map(|p| p.revenue_at_risk), 2),
        Cell::Text(insight.prediction.map(|p| {
            format!(
                "{}-{}",
                round(p.revenue_at_risk_low, 2),
                round(p.revenue_at_risk_high, 2)
            )
        })),
    ];
    cells.extend(
        context
            .analysis
            .segments
            .of(insight.customer)
            .map(|(_, label)| text(label.to_string())),
    );
    cells.push(text(context.analysis.season.kind().key().to_string()));
    if options.with_attributes {
        cells.push(Cell::Int(
            profile.and_then(|p| p.household_size).map(i64::from),
        ));
        let extra = profile.map(|p| &p.extra);
        for index in 0..context.dataset.extra_columns.len() {
            cells.push(Cell::Text(
                extra
                    .and_then(|values| values.iter().nth(index))
                    .map(str::to_string),
            ));
        }
    }
    cells
}
