//! `revgap partial` and `revgap merge`: one partition of the customers analysed apart, and the
//! exact merge of the partials (the file format and the merge are the core's
//! `engine::partial_file`; this module reads flags, files and writes the outputs).

use super::args::{MergeArgs, MergeFormat, PartialArgs};
use super::{Failure, check_config_fits, load_config, load_dataset, warn_skipped};
use crate::engine::partial_file::{self, PartialFile};
use std::fmt::Write as _;

/// `revgap partial`: the partition's partial file, written atomically.
pub fn run_partial(args: &PartialArgs) -> Result<(), Failure> {
    let config = load_config(&args.data)?;
    // Only what depends on a customer's own weeks can be analysed apart.
    crate::stream::check_config(&config).map_err(|error| {
        Failure::new(
            super::EXIT_CONFIG,
            error.to_string().replacen("--stream", "partial", 1),
        )
    })?;
    let dataset = load_dataset(&args.data)?;
    check_config_fits(&config, &dataset)?;
    warn_skipped(&dataset);
    let analysis = crate::engine::analyze(&dataset, &config);
    if analysis.season.kind() == crate::engine::season::BaselineKind::Seasonal {
        return Err(Failure::new(
            super::EXIT_CONFIG,
            format!(
                "{}: partial: {} weeks take the seasonal baseline, whose profile is everyone's; expected --baseline original or trailing",
                dataset.source,
                dataset.week_count()
            ),
        ));
    }
    let file = PartialFile::of(&analysis, &dataset.customer_ids, dataset.load.skipped_rows);
    super::stream_output(Some(&args.out), |writer| file.write(writer))
}

/// `revgap merge`: the whole run's summary and top list from the partials.
pub fn run_merge(args: &MergeArgs) -> Result<(), Failure> {
    let mut files = Vec::with_capacity(args.partials.len());
    for path in &args.partials {
        let name = crate::text::one_line(&path.display().to_string()).into_owned();
        let input = std::fs::File::open(path)
            .map_err(|e| Failure::new(66, format!("{name}: cannot read: {e}")))?;
        let file = PartialFile::read(input, &name).map_err(|e| Failure::new(65, e))?;
        files.push((name, file));
    }
    let merged = partial_file::merge(&files, args.top).map_err(|e| Failure::new(65, e))?;
    let text = match args.format {
        MergeFormat::Json => json(&merged),
        MergeFormat::Markdown => markdown(&merged),
        MergeFormat::Csv => csv(&merged),
    };
    super::write_output(args.out.as_ref(), &text)
}

/// One listed customer's fields (JSON and CSV, the same names).
const TOP_FIELDS: [&str; 13] = [
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

fn top_values(ranked: &crate::engine::partition::Ranked) -> [serde_json::Value; 13] {
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

fn json(merged: &partial_file::Merged) -> String {
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
    let document = serde_json::json!({
        "schema_version": crate::report::json::SCHEMA_VERSION,
        "summary": crate::report::json::summary_value(&merged.summary),
        "top": top,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&document).unwrap_or_default()
    )
}

fn csv(merged: &partial_file::Merged) -> String {
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

fn markdown(merged: &partial_file::Merged) -> String {
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
