//! The JSON report. Its field names are a stable, documented schema (README, "JSON schema");
//! add fields, never rename or remove them. Money is rounded to cents, percentages to 0.01,
//! scores to 0.0001 at output time only.

use super::ReportContext;
use super::format::round;
use crate::data::LoadReport;
use crate::engine::Summary;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

mod record;
#[cfg(test)]
mod reference;

use super::json_bytes::JsonBytes;
use record::{MapOrder, write_customer};
pub use record::{RecordField, RecordFields};

/// Bumped only on an incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything but the customers: written first in JSON, last in JSON lines.
#[derive(Serialize)]
struct Head<'a> {
    schema_version: u32,
    generated_at: &'a str,
    source: &'a str,
    /// The customers file the attributes came from (null without one).
    customers_source: Option<&'a str>,
    weeks: usize,
    summary: SummaryOut,
    /// What measured campaigns taught this analysis (absent without learning).
    #[serde(skip_serializing_if = "Option::is_none")]
    learning: Option<&'a crate::engine::learned::LearnedRecovery>,
    load: &'a LoadReport,
}

#[derive(Serialize)]
struct SummaryOut {
    customers_analyzed: usize,
    customers_with_gaps: usize,
    gaps_total: usize,
    gaps_by_type: BTreeMap<&'static str, usize>,
    high_severity_gaps: usize,
    churn_risk_customers: usize,
    high_churn_risk_customers: usize,
    total_revenue_gap: f64,
    potential_recovery_revenue: f64,
    skipped_rows: u64,
    as_of: Option<String>,
    churn_model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    churn_model_note: Option<String>,
    new_customers: usize,
    value_unit: crate::text::ValueUnit,
    baseline_kind: &'static str,
}

/// The report's `summary` object of `summary`, as `analyze --format json` writes it (for
/// outputs that must carry the same object, such as `revgap merge`).
pub fn summary_value(summary: &Summary) -> serde_json::Value {
    serde_json::to_value(summary_out(summary)).unwrap_or_default()
}

fn summary_out(summary: &Summary) -> SummaryOut {
    SummaryOut {
        customers_analyzed: summary.customers_analyzed,
        customers_with_gaps: summary.customers_with_gaps,
        gaps_total: summary.gaps_total,
        gaps_by_type: summary.gaps_by_type.clone(),
        high_severity_gaps: summary.high_severity_gaps,
        churn_risk_customers: summary.churn_risk_customers,
        high_churn_risk_customers: summary.high_churn_risk_customers,
        total_revenue_gap: round(summary.total_revenue_gap, 2),
        potential_recovery_revenue: round(summary.potential_recovery_revenue, 2),
        skipped_rows: summary.skipped_rows,
        as_of: summary.as_of.map(|d| d.to_string()),
        churn_model: summary.churn_model.clone(),
        churn_model_note: summary.churn_model_note.clone(),
        new_customers: summary.new_customers,
        value_unit: summary.value_unit,
        baseline_kind: summary
            .baseline_kind
            .unwrap_or(crate::engine::season::BaselineKind::Original)
            .key(),
    }
}

fn head<'a>(context: &'a ReportContext) -> Head<'a> {
    Head {
        schema_version: SCHEMA_VERSION,
        generated_at: &context.generated_at,
        source: &context.dataset.source,
        customers_source: context.dataset.customers_source.as_deref(),
        weeks: context.dataset.week_count(),
        summary: summary_out(&context.analysis.summary),
        learning: context.analysis.learned.as_deref(),
        load: &context.dataset.load,
    }
}

/// Keeps an I/O error's kind (a closed pipe must stay a closed pipe).
fn to_io(error: serde_json::Error) -> std::io::Error {
    std::io::Error::from(error)
}

/// Streams the JSON document: the head's fields, then `"customers"`, one customer at a time.
/// The bytes are exactly serde_json's for the whole document (compact or pretty).
pub fn write(
    context: &ReportContext,
    parts: &mut super::Parts,
    options: super::Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let head = head(context);
    let text = if options.pretty {
        serde_json::to_string_pretty(&head)
    } else {
        serde_json::to_string(&head)
    }
    .map_err(to_io)?;
    // The head is an object: reopen it before its closing brace.
    let open = text
        .strip_suffix(if options.pretty { "\n}" } else { "}" })
        .ok_or_else(|| std::io::Error::other("unexpected JSON head"))?;
    out.write_all(open.as_bytes())?;
    out.write_all(if options.pretty {
        b",\n  \"customers\": ["
    } else {
        b",\"customers\":["
    })?;
    let mut written = 0;
    parts(&mut |context| {
        let order = MapOrder::of(context);
        super::write_in_rounds(context, out, |position, customer, bytes| {
            let insight = context.analysis.insight(context.dataset, customer);
            let position = written + position;
            if options.pretty {
                bytes.extend_from_slice(if position == 0 { b"\n    " } else { b",\n    " });
            } else if position > 0 {
                bytes.push(b',');
            }
            // Inside the document's object and its "customers" array: two levels deep.
            let mut w = JsonBytes::new(bytes, options.pretty, 2);
            write_customer(&mut w, context, &order, &insight, options)
        })?;
        written += context.customers.len();
        Ok(())
    })?;
    let close: &[u8] = match (options.pretty, written == 0) {
        (true, false) => b"\n  ]\n}\n",
        (true, true) => b"]\n}\n",
        (false, _) => b"]}\n",
    };
    out.write_all(close)
}

/// Streams JSON lines: one compact customer per line, then the head as the last line (the
/// one with `"summary"`), so a pipeline sees customers at once and the totals at the end.
pub fn write_lines(
    context: &ReportContext,
    parts: &mut super::Parts,
    options: super::Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    parts(&mut |context| {
        let order = MapOrder::of(context);
        super::write_in_rounds(context, out, |_, customer, bytes| {
            let insight = context.analysis.insight(context.dataset, customer);
            write_customer(
                &mut JsonBytes::new(bytes, false, 0),
                context,
                &order,
                &insight,
                options,
            )?;
            bytes.push(b'\n');
            Ok(())
        })
    })?;
    serde_json::to_writer(&mut *out, &head(context)).map_err(to_io)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::reference::{CustomerOut, customer_out, sample};
    use super::*;
    use crate::report::{Options, ReportContext};

    /// The streamed document is byte for byte what serde_json makes of the whole, in both
    /// layouts and with or without customers.
    #[test]
    fn streaming_equals_the_whole_document() {
        let (dataset, config, analysis) = sample(60, 5);
        for listed in [analysis.ranking.clone(), Vec::new()] {
            let context = ReportContext {
                dataset: &dataset,
                analysis: &analysis,
                config: &config,
                customers: &listed,
                generated_at: "2026-01-01 00:00:00".into(),
                narratives: None,
            };
            #[derive(Serialize)]
            struct Whole<'a> {
                #[serde(flatten)]
                head: Head<'a>,
                customers: Vec<CustomerOut<'a>>,
            }
            let insights: Vec<_> = listed
                .iter()
                .map(|c| analysis.insight(&dataset, *c))
                .collect();
            let whole = Whole {
                head: head(&context),
                customers: insights
                    .iter()
                    .map(|insight| customer_out(&context, insight, true))
                    .collect(),
            };
            for pretty in [false, true] {
                let mut streamed = Vec::new();
                write(
                    &context,
                    &mut super::super::whole(&context),
                    Options {
                        pretty,
                        ..Options::FULL
                    },
                    &mut streamed,
                )
                .unwrap();
                let expected = if pretty {
                    serde_json::to_string_pretty(&whole).unwrap()
                } else {
                    serde_json::to_string(&whole).unwrap()
                } + "\n";
                assert_eq!(
                    String::from_utf8(streamed).unwrap(),
                    expected,
                    "pretty {pretty}"
                );
            }
            let mut lines = Vec::new();
            write_lines(
                &context,
                &mut super::super::whole(&context),
                Options::FULL,
                &mut lines,
            )
            .unwrap();
            let lines = String::from_utf8(lines).unwrap();
            let parsed: Vec<serde_json::Value> = lines
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(parsed.len(), listed.len() + 1);
            let mut whole = serde_json::to_value(&whole).unwrap();
            let customers = whole.as_object_mut().unwrap().remove("customers").unwrap();
            assert_eq!(parsed.last().unwrap(), &whole);
            assert_eq!(
                &parsed[..listed.len()],
                customers.as_array().unwrap().as_slice()
            );
        }
    }
}
