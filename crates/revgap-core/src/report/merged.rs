//! What `revgap merge` (and the Python binding's `merge`) writes: the merged partials'
//! summary and top list as JSON, CSV or markdown. Owns the rendering only; the merge is
//! `engine::partial_file`.

use crate::engine::partial_file::Merged;
use crate::engine::partition::Ranked;
use std::fmt::Write as _;

/// One listed customer's fields (JSON and CSV, the same names).
pub const TOP_FIELDS: [&str; 13] = [
    "rank",
    "customer_id",
    "priority_score",
    "gap_size",
    "primary_gap",
    "severity",
    "churn_points",
    "churn_probability",
    "revenue_impact",
    "customer_value",
    "recovery_probability",
    "potential_revenue",
    "total_revenue",
];

fn top_values(ranked: &Ranked) -> [serde_json::Value; 13] {
    let s = &ranked.score;
    [
        s.rank.into(),
        ranked.customer_id.clone().into(),
        s.priority.into(),
        s.gap_size.into(),
        s.primary.map(|g| g.key()).into(),
        s.primary_severity.map(|v| v.key()).into(),
        s.churn_points.into(),
        s.model_churn.into(),
        s.revenue_impact.into(),
        s.customer_value.into(),
        s.recovery_probability.into(),
        s.potential_revenue.into(),
        s.total_revenue.into(),
    ]
}

/// The JSON document: `schema_version`, `summary` (the same object as `analyze --format
/// json`'s) and `top[]`.
pub fn json(merged: &Merged) -> serde_json::Value {
    let top: Vec<serde_json::Value> = merged
        .top
        .iter()
        .map(|ranked| {
            serde_json::Value::Object(
                TOP_FIELDS
                    .iter()
                    .map(|k| k.to_string())
                    .zip(top_values(ranked))
                    .collect(),
            )
        })
        .collect();
    serde_json::json!({
        "schema_version": super::json::SCHEMA_VERSION,
        "summary": super::json::summary_value(&merged.summary),
        "top": top,
    })
}

/// The top list as CSV (the JSON entries' columns; text cells neutralised).
pub fn csv(merged: &Merged) -> String {
    let mut out = TOP_FIELDS.join(",");
    out.push('\n');
    for ranked in &merged.top {
        let cells: Vec<String> = top_values(ranked)
            .iter()
            .map(|value| match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(text) => {
                    let cell = crate::text::csv_cell(text);
                    if cell.contains([',', '"']) {
                        format!("\"{}\"", cell.replace('"', "\"\""))
                    } else {
                        cell.into_owned()
                    }
                }
                other => other.to_string(),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The summary's main lines and the top list as a table.
pub fn markdown(merged: &Merged) -> String {
    let s = &merged.summary;
    let mut out = String::from("# Revenue gaps (merged partials)\n\n");
    let _ = writeln!(out, "- **Customers analysed:** {}", s.customers_analyzed);
    let _ = writeln!(out, "- **Customers with gaps:** {}", s.customers_with_gaps);
    let _ = writeln!(out, "- **High-severity gaps:** {}", s.high_severity_gaps);
    let _ = writeln!(
        out,
        "- **Total revenue gap:** {}",
        crate::text::money(s.total_revenue_gap)
    );
    let _ = writeln!(
        out,
        "- **Potential recovery:** {}\n",
        crate::text::money(s.potential_recovery_revenue)
    );
    let _ = writeln!(
        out,
        "| Rank | Customer | Priority | Weekly gap | Gap | Severity |"
    );
    let _ = writeln!(out, "|---:|---|---:|---:|---|---|");
    for ranked in &merged.top {
        let score = &ranked.score;
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {} | {} | {} |",
            score.rank,
            crate::text::one_line(&ranked.customer_id).replace('|', "\\|"),
            score.priority,
            crate::text::money(score.gap_size),
            score.primary.map_or("", |g| g.key()),
            score.primary_severity.map_or("", |v| v.key()),
        );
    }
    out
}
