//! Reports of an analysis: markdown (for people), JSON (stable schema), JSON lines and CSV
//! (one row per customer). All share `ReportContext` and the formatting helpers, and all are
//! written to a stream: JSON, JSON lines and CSV one customer at a time, so memory stays
//! bounded however many customers are listed (markdown lists at most
//! `report.top_customers`).

pub mod csv;
pub mod definitions;
pub mod format;
pub mod json;
pub mod json_bytes;
pub mod markdown;
pub mod merged;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(not(feature = "parquet"))]
#[path = "parquet_missing.rs"]
pub mod parquet;
pub mod row;
pub mod segments;

use crate::config::Config;
use crate::data::{CustomerProfile, Dataset};
use crate::engine::{Analysis, CustomerInsight};
use crate::narrative::generate::{Generated, Source};
use std::collections::HashMap;

/// Output format of `revgap analyze`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Markdown,
    Json,
    Csv,
    /// One customer per line, then one summary line (for pipelines).
    Jsonl,
    /// One typed row per customer, the CSV's columns (analyze only; needs `--out FILE`).
    Parquet,
}

impl crate::choice::Choice for Format {
    const ALL: &'static [Self] = &[
        Self::Markdown,
        Self::Json,
        Self::Csv,
        Self::Jsonl,
        Self::Parquet,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Markdown => "markdown",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
            Self::Parquet => "parquet",
        }
    }

    fn help(self) -> Option<&'static str> {
        match self {
            Self::Jsonl => Some("one customer per line, then one summary line (for pipelines)"),
            Self::Parquet => Some(
                "one typed row per customer, the CSV's columns (analyze only; needs --out FILE)",
            ),
            _ => None,
        }
    }
}

crate::choice_traits!(Format);

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
            Self::Parquet => "parquet",
        }
    }
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Indented JSON (compact otherwise; other formats ignore it).
    pub pretty: bool,
    /// Each customer's rationale text and next step in JSON, JSON lines and CSV.
    pub with_rationale: bool,
    /// Every customer attribute (household size and the customers file's other columns, as
    /// `attribute_<name>`) in CSV and Parquet; JSON always has them.
    pub with_attributes: bool,
    /// The customer record's fields JSON and JSON lines write (`--fields`; all by default).
    pub fields: json::RecordFields,
}

impl Options {
    /// Everything, indented: what `render` gives.
    pub const FULL: Self = Self {
        pretty: true,
        with_rationale: true,
        with_attributes: false,
        fields: json::RecordFields::ALL,
    };

    /// What the explorer's exports carry: everything, every attribute included.
    pub const EXPORT: Self = Self {
        with_attributes: true,
        ..Self::FULL
    };
}

/// What a report is made from.
pub struct ReportContext<'a> {
    pub dataset: &'a Dataset,
    pub analysis: &'a Analysis,
    pub config: &'a Config,
    /// Which customers to list, in order (indices into `analysis.insights`).
    pub customers: &'a [usize],
    /// Shown as the generation time (injected so reports are reproducible in tests).
    pub generated_at: String,
    /// Generated narratives by customer (from `analyze --llm`); others are rule-based.
    pub narratives: Option<&'a HashMap<usize, Generated>>,
}

impl ReportContext<'_> {
    fn profile(&self, customer: usize) -> Option<&CustomerProfile> {
        self.dataset.profiles.get(customer).and_then(Option::as_ref)
    }

    /// The rationale a report shows for a customer, labelled by source and grounding.
    /// The opportunity in one sentence for the customer success team: the grounded model
    /// text's "Next step:" sentence when there is one, else the rule-based next step.
    pub fn opportunity_description(&self, insight: &CustomerInsight) -> (String, Source) {
        let generated = self
            .narratives
            .and_then(|n| n.get(&insight.customer))
            .filter(|g| g.source != Source::RuleBased);
        if let Some(g) = generated
            && let Some(step) = g
                .text
                .as_deref()
                .and_then(crate::narrative::sanitize::next_step_sentence)
        {
            return (step, g.source);
        }
        (
            crate::narrative::rules::next_step(insight),
            Source::RuleBased,
        )
    }

    pub fn rationale(&self, insight: &CustomerInsight) -> ShownRationale {
        self.rationale_shown(insight, true)
    }

    /// `rationale`, with its text only `with_text` (empty otherwise): the rule text is the
    /// costliest part of a row, and most reports leave it out.
    pub fn rationale_shown(&self, insight: &CustomerInsight, with_text: bool) -> ShownRationale {
        let rule_text = || {
            if with_text {
                crate::narrative::rules::rationale(insight, self.config)
            } else {
                String::new()
            }
        };
        let generated = self.narratives.and_then(|n| n.get(&insight.customer));
        match generated {
            Some(g) if g.source != Source::RuleBased => ShownRationale {
                text: match &g.text {
                    Some(text) if with_text => text.clone(),
                    _ => rule_text(),
                },
                source: g.source,
                grounding: "grounded",
                fallback_reason: None,
            },
            Some(g) => ShownRationale {
                text: rule_text(),
                source: Source::RuleBased,
                grounding: if g.grounding.is_some() {
                    "rejected"
                } else {
                    "not_checked"
                },
                // Server-derived text: one clean line, whatever the server sent.
                fallback_reason: g
                    .fallback_reason
                    .as_deref()
                    .map(|reason| crate::text::one_line(reason).into_owned()),
            },
            None => ShownRationale {
                text: rule_text(),
                source: Source::RuleBased,
                grounding: "not_applicable",
                fallback_reason: None,
            },
        }
    }
}

/// A rationale as a report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownRationale {
    pub text: String,
    pub source: Source,
    /// "grounded", "rejected" (generated text failed the checks), "not_checked" (no text came
    /// back), or "not_applicable" (rule-based by design).
    pub grounding: &'static str,
    pub fallback_reason: Option<String>,
}

/// Renders a report in `format`.
/// The whole report as text, with every field (small reports, tests, the explorer).
pub fn render(format: Format, context: &ReportContext) -> String {
    let mut bytes = Vec::new();
    // Writing to memory cannot fail.
    let _ = write(format, context, Options::FULL, &mut bytes);
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Customers rendered per round: each round is rendered on every core into buffers while the
/// round before is written, in order, so memory holds two rounds' text (a few MB) whatever the
/// customer count.
const ROUND: usize = 8_192;

/// Runs `each` on `customers` in order (with each one's offset), reading each batch's memory
/// ahead of its turn (`Analysis::warm`): listed in rank order, customers are scattered through
/// memory, and a batch read together waits for memory once instead of once per customer.
pub(crate) fn each_warmed<E>(
    context: &ReportContext,
    customers: &[usize],
    mut each: impl FnMut(usize, usize) -> Result<(), E>,
) -> Result<(), E> {
    /// Customers read ahead of their turn (the best of 16, 32 and 64 in `benches/report.rs`).
    const AHEAD: usize = 32;
    let warm = |batch: &[usize]| {
        let seen = batch.iter().fold(0, |seen, customer| {
            seen ^ context.analysis.warm(context.dataset, *customer)
        });
        std::hint::black_box(seen);
    };
    warm(&customers[..AHEAD.min(customers.len())]);
    for (batch_number, batch) in customers.chunks(AHEAD).enumerate() {
        let next = ((batch_number + 1) * AHEAD).min(customers.len());
        warm(&customers[next..(next + AHEAD).min(customers.len())]);
        for (offset, customer) in batch.iter().enumerate() {
            each(batch_number * AHEAD + offset, *customer)?;
        }
    }
    Ok(())
}

/// Renders `customers` (index in the list, customer) on every core, round by round, and
/// writes the bytes in list order. Rendering runs on a thread of its own a round ahead of the
/// writing here, so the cores render while the bytes go out (a gigabyte report spends a
/// good part of its time in the write calls).
pub(crate) fn write_in_rounds(
    context: &ReportContext,
    out: &mut dyn std::io::Write,
    render: impl Fn(usize, usize, &mut Vec<u8>) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let customers = context.customers;
    let slice = (ROUND / (4 * rayon::current_num_threads().max(1))).max(1);
    let render_round = |round: usize, customers: &[usize]| -> std::io::Result<Vec<Vec<u8>>> {
        let first = round * ROUND;
        customers
            .par_chunks(slice)
            .enumerate()
            .map(|(part, chunk)| {
                // Above the largest records (a JSON customer is about 1.4 KB): one allocation per chunk.
                let mut bytes = Vec::with_capacity(chunk.len() * 2_048);
                each_warmed(context, chunk, |offset, customer| {
                    render(first + part * slice + offset, customer, &mut bytes)
                })?;
                Ok(bytes)
            })
            .collect()
    };
    let (sender, rendered) = std::sync::mpsc::sync_channel(1);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for (round, customers) in customers.chunks(ROUND).enumerate() {
                let parts = render_round(round, customers);
                let failed = parts.is_err();
                // The writer stopped (a write error): render no more.
                if sender.send(parts).is_err() || failed {
                    break;
                }
            }
        });
        // An early return drops the receiver, which stops the renderer at its next round.
        for parts in rendered {
            for part in parts? {
                out.write_all(&part)?;
            }
        }
        Ok(())
    })
}

/// The listed customers of a report, part by part: called with a function to run on each
/// part's context (whose `customers` are that part's listed ones), it runs it on every part in
/// order. One part for an analysis held whole; many for a streamed one (`crate::stream`).
pub type Parts<'p> = dyn FnMut(&mut EachPart) -> std::io::Result<()> + 'p;

/// What a report does with one part's context.
pub type EachPart<'e> = dyn FnMut(&ReportContext) -> std::io::Result<()> + 'e;

/// The one part of an analysis held whole.
pub fn whole<'c>(
    context: &'c ReportContext<'c>,
) -> impl FnMut(&mut EachPart) -> std::io::Result<()> + 'c {
    move |each| each(context)
}

/// Streams the report to `out`.
pub fn write(
    format: Format,
    context: &ReportContext,
    options: Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    write_parts(format, context, &mut whole(context), options, out)
}

/// Streams the report to `out`: the head (summary, load counts, and for markdown everything)
/// from `head`, the listed customers from `parts`.
pub fn write_parts(
    format: Format,
    head: &ReportContext,
    parts: &mut Parts,
    options: Options,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Markdown => out.write_all(markdown::render(head).as_bytes()),
        Format::Json => json::write(head, parts, options, out),
        Format::Jsonl => json::write_lines(head, parts, options, out),
        Format::Csv => csv::write(head, parts, options, out),
        // Parquet needs a writer it can hand to its encoder threads: see `write_parquet`.
        Format::Parquet => Err(std::io::Error::other(
            "Parquet is binary: write it to a file with --out FILE",
        )),
    }
}
