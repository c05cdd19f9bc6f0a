//! The CSV report: one row per listed customer. A first `#` comment line carries the run's
//! counts (customers, skipped rows, as-of) so they are never lost; read it with a comment
//! character of `#` (pandas: `comment="#"`).

use super::ReportContext;
use super::format::round;

const COLUMNS: [&str; 33] = [
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

/// Streams the CSV, one record per customer. Without `with_rationale` the rationale column
/// stays (scripts count columns) but is empty.
pub fn write(
    context: &ReportContext,
    options: super::Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let summary = &context.analysis.summary;
    writeln!(
        out,
        "# revgap: customers_analyzed={} customers_with_gaps={} skipped_rows={} as_of={}",
        summary.customers_analyzed,
        summary.customers_with_gaps,
        summary.skipped_rows,
        summary.as_of.map(|d| d.to_string()).unwrap_or_default()
    )?;
    let mut writer = ::csv::Writer::from_writer(&mut *out);
    let segments = &context.analysis.segments;
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.extend(segments.dimensions.iter().map(|l| l.dimension.key()));
    header.push("baseline_kind");
    writer.write_record(&header)?;
    let number = |value: f64, places: i32| round(value, places).to_string();
    writer.flush()?;
    drop(writer);
    super::write_in_rounds(context.customers, out, |_, index, bytes| {
        let insight = &context.analysis.insight(context.dataset, index);
        let gap = insight.primary_gap;
        let opportunity = insight.opportunity.as_ref();
        let factors = insight.score;
        let profile = context.profile(insight.customer);
        let shown = context.rationale(insight);
        let rationale_text = if options.with_rationale {
            crate::text::csv_cell(&shown.text).into_owned()
        } else {
            String::new()
        };
        let optional = |value: Option<String>| value.unwrap_or_default();
        let record = [
            optional(insight.rank.map(|r| r.to_string())),
            crate::text::csv_cell(&context.dataset.customer_ids[insight.customer]).into_owned(),
            number(insight.priority_score, 4),
            optional(gap.map(|g| g.kind.key().to_string())),
            optional(gap.map(|g| g.severity.key().to_string())),
            optional(gap.map(|g| number(g.gap_amount, 2))),
            optional(gap.map(|g| number(g.gap_pct, 2))),
            optional(gap.map(|g| number(g.current, 2))),
            optional(gap.map(|g| number(g.expected, 2))),
            optional(gap.map(|g| g.weeks_at_risk.to_string())),
            insight
                .secondary_gaps
                .iter()
                .map(|g| g.kind.key())
                .collect::<Vec<_>>()
                .join(";"),
            number(insight.churn.score(), 2),
            number(insight.churn.probability, 2),
            insight
                .churn
                .factors
                .iter()
                .map(|f| f.key())
                .collect::<Vec<_>>()
                .join(";"),
            insight.churn.weeks_since_last_purchase.to_string(),
            optional(opportunity.map(|o| o.kind.key().to_string())),
            optional(opportunity.map(|o| number(o.potential_revenue, 2))),
            optional(opportunity.map(|o| o.actions.join(";"))),
            optional(factors.map(|f| number(f.revenue_impact, 4))),
            optional(factors.map(|f| number(f.churn_risk, 4))),
            optional(factors.map(|f| number(f.customer_value, 4))),
            optional(factors.map(|f| number(f.recovery_probability, 4))),
            number(insight.profile.baseline_avg, 2),
            number(insight.profile.recent_avg, 2),
            number(insight.profile.trend_pct, 2),
            optional(profile.and_then(|p| p.age).map(|a| a.to_string())),
            optional(
                profile
                    .and_then(|p| p.loyalty_member)
                    .map(|l| l.to_string()),
            ),
            shown.source.key().to_string(),
            shown.grounding.to_string(),
            rationale_text,
            optional(insight.prediction.map(|p| number(p.p_alive, 4))),
            optional(insight.prediction.map(|p| number(p.revenue_at_risk, 2))),
            optional(insight.prediction.map(|p| {
                format!(
                    "{}-{}",
                    number(p.revenue_at_risk_low, 2),
                    number(p.revenue_at_risk_high, 2)
                )
            })),
        ];
        let mut record = record.to_vec();
        record.extend(
            segments
                .of(insight.customer)
                .map(|(_, label)| crate::text::csv_cell(label).into_owned()),
        );
        record.push(context.analysis.season.kind().key().to_string());
        let mut writer = ::csv::WriterBuilder::new()
            .buffer_capacity(1_024)
            .from_writer(bytes);
        writer.write_record(&record)?;
        writer.flush()
    })
}
