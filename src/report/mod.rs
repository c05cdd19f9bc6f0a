//! Reports of an analysis: markdown (for people), JSON (stable schema), CSV (one row per
//! customer). All three share `ReportContext` and the formatting helpers.

pub mod csv;
pub mod format;
pub mod json;
pub mod markdown;

use crate::config::Config;
use crate::data::{CustomerProfile, Dataset};
use crate::engine::Analysis;

/// Output format of `revgap analyze`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Markdown,
    Json,
    Csv,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
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
}

impl ReportContext<'_> {
    fn profile(&self, customer: usize) -> Option<&CustomerProfile> {
        self.dataset.profiles.get(customer).and_then(Option::as_ref)
    }
}

/// Renders a report in `format`.
pub fn render(format: Format, context: &ReportContext) -> String {
    match format {
        Format::Markdown => markdown::render(context),
        Format::Json => json::render(context),
        Format::Csv => csv::render(context),
    }
}
