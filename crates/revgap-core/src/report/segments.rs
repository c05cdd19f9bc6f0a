//! Segment and cohort tables in markdown, JSON and CSV (`revgap segments`, `revgap cohorts`,
//! and the segment summary of the analysis report). JSON field names are fixed: outside
//! scripts rely on them.

use super::Format;
use super::format::{count, round};
use crate::segment::cohort::{CohortTable, Period};
use crate::segment::summary::SegmentRow;
use crate::text::{ValueUnit, csv_cell, one_line};
use std::fmt::Write;

/// One row per line.
fn json_lines(rows: &[serde_json::Value]) -> String {
    let mut out = String::new();
    for row in rows {
        let _ = writeln!(out, "{row}");
    }
    out
}

/// `revgap segments`: the summary over `dimensions`.
pub fn render_segments(
    format: Format,
    dimensions: &[&str],
    rows: &[SegmentRow],
    unit: ValueUnit,
) -> String {
    match format {
        // Parquet is refused before (analyze only); JSON is the closest.
        Format::Json | Format::Jsonl | Format::Parquet => {
            let (gaps, recoveries) = money_columns(rows);
            let segments: Vec<serde_json::Value> = rows
                .iter()
                .zip(gaps.iter().zip(&recoveries))
                .map(|(row, (gap, recovery))| {
                    serde_json::json!({
                        "key": row.key,
                        "customers": row.customers,
                        "customers_with_gaps": row.customers_with_gaps,
                        "revenue_gap": gap,
                        "potential_recovery": recovery,
                        "churn_risk_customers": row.churn_risk_customers,
                    })
                })
                .collect();
            if format == Format::Jsonl {
                return json_lines(&segments);
            }
            let document = serde_json::json!({"dimensions": dimensions, "segments": segments});
            format!("{document}\n")
        }
        Format::Csv => {
            let mut writer = ::csv::Writer::from_writer(Vec::new());
            let mut header: Vec<&str> = dimensions.to_vec();
            header.extend([
                "customers",
                "customers_with_gaps",
                "revenue_gap",
                "potential_recovery",
                "churn_risk_customers",
            ]);
            let _ = writer.write_record(&header);
            let (gaps, recoveries) = money_columns(rows);
            for (row, (gap, recovery)) in rows.iter().zip(gaps.iter().zip(&recoveries)) {
                let mut record: Vec<String> = dimensions
                    .iter()
                    .map(|d| csv_cell(&row.key[*d]).into_owned())
                    .collect();
                record.extend([
                    row.customers.to_string(),
                    row.customers_with_gaps.to_string(),
                    gap.to_string(),
                    recovery.to_string(),
                    row.churn_risk_customers.to_string(),
                ]);
                let _ = writer.write_record(&record);
            }
            String::from_utf8_lossy(&writer.into_inner().unwrap_or_default()).into_owned()
        }
        Format::Markdown => {
            let mut out = format!("# Segments by {}\n\n", dimensions.join(" × "));
            segment_table(&mut out, dimensions, rows, unit);
            out
        }
    }
}

/// The gap and recovery columns in cents that add up to the totals' cents (largest
/// remainder), so a table sums to the report's totals exactly.
fn money_columns(rows: &[SegmentRow]) -> (Vec<f64>, Vec<f64>) {
    let column = |value: fn(&SegmentRow) -> f64| {
        super::format::cents_adding_up(&rows.iter().map(value).collect::<Vec<_>>())
    };
    (column(|r| r.revenue_gap), column(|r| r.potential_recovery))
}

/// A markdown table of segment rows (also used by the analysis report).
pub fn segment_table(out: &mut String, dimensions: &[&str], rows: &[SegmentRow], unit: ValueUnit) {
    let _ = writeln!(
        out,
        "| {} | Customers | With Gaps | Weekly Revenue Gap | Potential Recovery | Churn Risk |",
        dimensions.join(" | ")
    );
    let _ = writeln!(
        out,
        "|{}---:|---:|---:|---:|---:|",
        "---|".repeat(dimensions.len())
    );
    let (gaps, recoveries) = money_columns(rows);
    for (row, (gap, recovery)) in rows.iter().zip(gaps.iter().zip(&recoveries)) {
        let labels: Vec<String> = dimensions
            .iter()
            .map(|d| one_line(&row.key[*d]).replace('|', "/"))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            labels.join(" | "),
            count(row.customers),
            count(row.customers_with_gaps),
            unit.amount(*gap),
            unit.amount(*recovery),
            count(row.churn_risk_customers)
        );
    }
    out.push('\n');
}

/// What the cohort table's markdown shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortMetric {
    /// Share of each cohort still buying.
    Retention,
    /// Revenue per original member.
    Revenue,
}

impl crate::choice::Choice for CohortMetric {
    const ALL: &'static [Self] = &[Self::Retention, Self::Revenue];

    fn name(self) -> &'static str {
        match self {
            Self::Retention => "retention",
            Self::Revenue => "revenue",
        }
    }

    fn help(self) -> Option<&'static str> {
        Some(match self {
            Self::Retention => "share of each cohort still buying",
            Self::Revenue => "revenue per original member",
        })
    }
}

crate::choice_traits!(CohortMetric);

/// `revgap cohorts`.
pub fn render_cohorts(
    format: Format,
    table: &CohortTable,
    metric: CohortMetric,
    unit: ValueUnit,
) -> String {
    let period = match table.period {
        Period::Week => "week",
        Period::Month => "month",
        Period::Quarter => "quarter",
    };
    match format {
        Format::Json | Format::Jsonl | Format::Parquet => {
            let cohorts: Vec<serde_json::Value> = table
                .cohorts
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "cohort": c.cohort,
                        "size": c.size,
                        "active_share": c.active_share,
                        "revenue_per_member": c.revenue_per_member.iter().map(|v| round(*v, 2)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            if format == Format::Jsonl {
                return json_lines(&cohorts);
            }
            format!(
                "{}\n",
                serde_json::json!({"period": period, "cohorts": cohorts})
            )
        }
        Format::Csv => {
            let mut out =
                String::from("cohort,size,periods_since,active_share,revenue_per_member\n");
            for c in &table.cohorts {
                for (since, (share, revenue)) in
                    c.active_share.iter().zip(&c.revenue_per_member).enumerate()
                {
                    let _ = writeln!(
                        out,
                        "{},{},{since},{},{}",
                        c.cohort,
                        c.size,
                        share,
                        round(*revenue, 2)
                    );
                }
            }
            out
        }
        Format::Markdown => {
            let what = match metric {
                CohortMetric::Retention => "share of each cohort buying",
                CohortMetric::Revenue => "revenue per original member",
            };
            let mut out = format!(
                "# Cohorts by first-purchase {period}\n\n{} customers; {what}, by {period}s since the first purchase.\n\n",
                count(table.customers())
            );
            let width = table.periods();
            let _ = write!(out, "| Cohort | Size |");
            for since in 0..width {
                let _ = write!(out, " {since} |");
            }
            let _ = write!(out, "\n|---|---:|{}\n", "---:|".repeat(width));
            for c in &table.cohorts {
                let _ = write!(out, "| {} | {} |", c.cohort, count(c.size));
                for since in 0..width {
                    let cell = match metric {
                        CohortMetric::Retention => c
                            .active_share
                            .get(since)
                            .map(|v| format!("{:.1}%", 100.0 * v)),
                        CohortMetric::Revenue => {
                            c.revenue_per_member.get(since).map(|v| unit.amount(*v))
                        }
                    };
                    let _ = write!(out, " {} |", cell.unwrap_or_default());
                }
                out.push('\n');
            }
            out
        }
    }
}
