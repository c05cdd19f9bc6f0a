//! Command-line arguments (clap derive).

use crate::data::parse_date_arg;
use crate::report::Format;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod campaign;
mod data;
pub use campaign::*;
pub use data::*;

#[derive(Debug, Parser)]
#[command(
    name = "revgap",
    version,
    about = "Find, rank and explain customers whose spend is slipping"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal explorer (the default with no command).
    Tui(TuiArgs),
    /// Analyse the data and print a report (markdown, JSON, JSON lines, CSV or Parquet).
    Analyze(AnalyzeArgs),
    /// Write deterministic sample data (weekly_spend.csv, customers.csv, contacts.csv; truth.csv for the retail and seasonal shapes).
    Generate(GenerateArgs),
    /// Fit BG/NBD and Gamma-Gamma on the data up to a calibration end date.
    Fit(FitArgs),
    /// Detect on the calibration period, score against the holdout (rules vs model).
    Backtest(BacktestArgs),
    /// Summarise customers, gaps and recovery by segment (one dimension or several, crossed).
    Segments(SegmentsArgs),
    /// Acquisition cohorts: share still buying and revenue per member, by period since.
    Cohorts(CohortsArgs),
    /// Campaigns with a randomized control group, kept in the ledger (SQLite).
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// What measured campaigns taught: the learned recovery table.
    #[command(subcommand)]
    Learn(LearnCommand),
    /// The suppression list: customer ids, emails and phone numbers no campaign contacts
    /// (honoured by every campaign create, send and export).
    #[command(subcommand)]
    Suppress(SuppressCommand),
    /// The success metrics across measured campaigns: revenue recovered with its interval,
    /// action success rate, retention effect, time to action, and gap-detection accuracy
    /// (the backtest AUC on the data).
    Metrics(MetricsArgs),
    /// Search the gap and churn thresholds on a backtest (the data's last weeks as the
    /// holdout) and print a suggested config with the measured gain; nothing changes unless
    /// the config is loaded.
    Tune(TuneArgs),
    /// Analyse one partition of the customers (a file of theirs) and write its partial: what
    /// `revgap merge` needs to give the whole run's summary and top list (docs/scaling.md).
    Partial(PartialArgs),
    /// Merge partial files (from `revgap partial` on each partition) into the whole run's
    /// summary and top list, bit for bit what one `analyze` of all of them gives.
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TuneArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Holdout weeks of the backtest, counted back from the data's end.
    #[arg(long, value_name = "WEEKS", default_value_t = 13.0, value_parser = parse_horizon_weeks)]
    pub horizon_weeks: f64,
    #[arg(long, value_enum, default_value_t = CampaignFormat::Text)]
    pub format: CampaignFormat,
    /// Write the suggested configuration (TOML) here, atomically; without it, the text
    /// report ends with it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The ledger whose measured campaigns' control groups check the churn rules on real
    /// outcomes (default: the platform's revgap/ledger.sqlite, when it exists).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// Add the entries of a CSV file (header with customer_id, email, phone or value, and
    /// optionally reason and date); the file is read whole before anything is added.
    Import(SuppressImportArgs),
    /// Every entry, with its reason, date and source.
    List(LedgerArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SuppressImportArgs {
    /// The CSV file.
    pub file: PathBuf,
    /// The reason of rows that give none.
    #[arg(long, default_value = "imported")]
    pub reason: String,
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LearnCommand {
    /// The learned incremental recovery per planned channel × offer × segment, with counts,
    /// shrunk rates and intervals.
    Show(LearnShowArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LearnShowArgs {
    /// The engine configuration ([outcome] settings).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub ledger: LedgerArgs,
}

#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Skip the backtest (gap-detection accuracy) and report only the campaigns.
    #[arg(long)]
    pub no_backtest: bool,
    /// Holdout weeks of the backtest, counted back from the data's end.
    #[arg(long, value_name = "WEEKS", default_value_t = 13.0, value_parser = parse_horizon_weeks)]
    pub horizon_weeks: f64,
    #[arg(long, value_enum, default_value_t = MeasureFormat::Markdown)]
    pub format: MeasureFormat,
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct SegmentsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Dimensions, comma-separated: value_tier, lifecycle, rfm, age_band, household, loyalty,
    /// frequency_band, or an extra customer column.
    #[arg(long, value_name = "DIM[,DIM...]", default_value = "value_tier")]
    pub by: String,
    #[arg(long, value_parser = choice::<Format>(), default_value = "markdown")]
    pub format: Format,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CohortsArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Cohort and follow-up period.
    #[arg(long, value_parser = choice::<crate::segment::cohort::Period>(), default_value = "month")]
    pub period: crate::segment::cohort::Period,
    /// What the markdown table shows (JSON and CSV carry both).
    #[arg(long, value_parser = choice::<crate::report::segments::CohortMetric>(), default_value = "retention")]
    pub metric: crate::report::segments::CohortMetric,
    #[arg(long, value_parser = choice::<Format>(), default_value = "markdown")]
    pub format: Format,
    /// Write here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Where generated narratives come from (shared by `analyze --llm` and the explorer).
#[derive(Debug, Clone, Default, Args)]
pub struct LlmArgs {
    /// OpenAI-compatible base URL including /v1 (overrides OPENAI_BASE_URL and [llm] base_url).
    #[arg(long, value_name = "URL")]
    pub llm_base_url: Option<String>,
    /// Model name (overrides REVGAP_LLM_MODEL and [llm] model).
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,
    /// Do not read or write the response cache.
    #[arg(long)]
    pub no_cache: bool,
}

impl LlmArgs {
    pub fn overrides(&self) -> crate::narrative::client::Overrides {
        crate::narrative::client::Overrides {
            base_url: self.llm_base_url.clone(),
            model: self.llm_model.clone(),
        }
    }

    /// The response cache, unless disabled.
    pub fn cache(&self) -> Option<crate::narrative::cache::Cache> {
        if self.no_cache {
            return None;
        }
        let dir = std::env::var_os("REVGAP_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(crate::narrative::cache::Cache::default_dir)?;
        Some(crate::narrative::cache::Cache::new(dir))
    }
}

#[derive(Debug, Clone, Args, Default)]
pub struct TuiArgs {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
    /// The campaign ledger (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The contacts file campaigns made in the explorer use (default: contacts.csv beside the
    /// weekly spend file).
    #[arg(long, value_name = "FILE")]
    pub contacts: Option<PathBuf>,
    #[command(flatten)]
    pub learning: LearningArgs,
    /// Do not keep this load's snapshot (what changed is still shown, read-only).
    #[arg(long)]
    pub no_snapshot: bool,
    /// Neither restore nor save the last view and tuned thresholds of this data.
    #[arg(long)]
    pub no_remember: bool,
}

/// Whether an analysis uses what measured campaigns taught.
#[derive(Debug, Clone, Args, Default)]
pub struct LearningArgs {
    /// Ignore the learned recovery table: the numbers are exactly those before any campaign
    /// was measured.
    #[arg(long)]
    pub no_learning: bool,
}

#[derive(Debug, Clone, Args, Default)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Report format.
    #[arg(long, value_parser = choice::<Format>(), default_value = "markdown")]
    pub format: Format,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// List only the first N ranked customers (JSON, JSON lines and CSV list all by default).
    #[arg(long, value_name = "N", conflicts_with = "all_customers")]
    pub top: Option<usize>,
    /// List every customer, with a gap or not (no gap: `primary_gap` null, no rank), with
    /// their churn probability and prediction: the ranked customers first, then the others in
    /// the data's order (streamed: everyone in the panel's order). JSON, JSON lines, CSV and
    /// Parquet.
    #[arg(long)]
    pub all_customers: bool,
    /// Indent the JSON (compact by default).
    #[arg(long)]
    pub pretty: bool,
    /// Each customer's rationale text and next step in JSON, JSON lines and CSV (implied by
    /// --llm).
    #[arg(long)]
    pub with_rationale: bool,
    /// Only these fields of each customer record in JSON and JSON lines, comma-separated
    /// (customer_id is always written): a smaller file for a pipeline that needs a few.
    #[arg(
        long,
        value_parser = choice::<crate::report::json::RecordField>(),
        value_delimiter = ',',
        value_name = "FIELD,..."
    )]
    pub fields: Vec<crate::report::json::RecordField>,
    /// Print what changed since the last run of this data (new gaps, worsened, recovered, and
    /// the trend across runs) instead of the report.
    #[arg(long, conflicts_with = "no_snapshot")]
    pub since_last: bool,
    /// Do not keep this run's snapshot (the state directory is left alone).
    #[arg(long)]
    pub no_snapshot: bool,
    /// Read the weekly panel or transaction log (CSV or Parquet, rows in any order; scattered
    /// customers are regrouped on the temporary disk) in parts of customers and keep only the
    /// summary and the top customers (--top, else the report's top_customers), or list
    /// everyone part by part: memory stays small however many customers there are. Needs
    /// --churn-model rules and a non-seasonal baseline; no snapshot or learning.
    #[arg(long, conflicts_with_all = ["since_last", "llm", "llm_dry_run"])]
    pub stream: bool,
    /// Customers per part of a streamed panel (memory per part: about 200 bytes a customer
    /// at 52 weeks).
    #[arg(long, value_name = "N", requires = "stream", default_value_t = crate::data::STREAM_PART_CUSTOMERS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub stream_part: u64,
    #[command(flatten)]
    pub batch: LlmBatchArgs,
    /// The campaign ledger to learn from and report success metrics of (default: the platform's
    /// revgap/ledger.sqlite, when it exists).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[command(flatten)]
    pub learning: LearningArgs,
}

/// The model's cost controls for a batch (`analyze --llm`, `campaign create --llm`).
#[derive(Debug, Clone, Args)]
pub struct LlmBatchArgs {
    /// Ask the model: grounded narratives (analyze) or checked drafts (campaign create) for
    /// the top customers; the rest stay rule-based or template-written.
    #[arg(long)]
    pub llm: bool,
    /// How many top customers the model writes for.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub llm_top: usize,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub llm_concurrency: usize,
    /// Estimated tokens (prompt + output) the run may use; customers beyond it are not asked.
    #[arg(long, value_name = "TOKENS", default_value_t = 20_000)]
    pub llm_token_budget: u32,
    /// Print the exact messages and a token estimate, send nothing (and store nothing).
    #[arg(long)]
    pub llm_dry_run: bool,
    #[command(flatten)]
    pub llm_args: LlmArgs,
}

impl Default for LlmBatchArgs {
    /// The same as the flags' defaults.
    fn default() -> Self {
        Self {
            llm: false,
            llm_top: 10,
            llm_concurrency: 4,
            llm_token_budget: 20_000,
            llm_dry_run: false,
            llm_args: LlmArgs::default(),
        }
    }
}

impl LlmBatchArgs {
    pub fn options(&self) -> crate::narrative::batch::BatchOptions {
        crate::narrative::batch::BatchOptions {
            concurrency: self.llm_concurrency,
            token_budget: self.llm_token_budget,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct GenerateArgs {
    /// Number of customers (default: 1,000; 200 for --shape original and seasonal).
    #[arg(long)]
    pub customers: Option<usize>,
    /// Number of weeks (default: 104, two years; 12 for --shape original).
    #[arg(long)]
    pub weeks: Option<usize>,
    /// Random seed (same seed, same files).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// What the customers look like: retail (rhythms, start times, seasons, decliners and
    /// stoppers; the truth in truth.csv), original (the original system's 12-week shape) or
    /// seasonal (holiday peaks, January dips, late decliners; truth.csv).
    #[arg(long, value_enum, default_value_t = GenerateShape::Retail)]
    pub shape: GenerateShape,
    /// First week start date (default: --shape original starts on 2025-09-06; the others
    /// end at --end).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg, conflicts_with = "end")]
    pub start: Option<NaiveDate>,
    /// The last day the data may cover: the last week is the last Saturday-to-Friday week
    /// ending by then (default: yesterday, so the data end at the last full week).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub end: Option<NaiveDate>,
    /// The same as --shape seasonal.
    #[arg(long, conflicts_with = "shape")]
    pub seasonal: bool,
    /// Output directory: customers.csv, weekly_spend.csv, contacts.csv (and truth.csv for
    /// the retail and seasonal shapes).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// The shapes of generated data (see `data::generate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateShape {
    Retail,
    Original,
    Seasonal,
}

#[derive(Debug, Clone, Args)]
pub struct FitArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Last day of the calibration period (YYYY-MM-DD); later purchases are the holdout.
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub calibration_end: NaiveDate,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FitFormat::Text)]
    pub format: FitFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FitFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub fit: FitArgs,
    /// Holdout length in weeks after the calibration end.
    #[arg(long, value_name = "WEEKS", default_value_t = 39.0, value_parser = parse_horizon_weeks)]
    pub horizon_weeks: f64,
}

/// A horizon in weeks: a finite number above 0 and at most 520 (ten years).
fn parse_horizon_weeks(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(weeks) if weeks.is_finite() && weeks > 0.0 && weeks <= 520.0 => Ok(weeks),
        _ => Err(format!(
            "expected a number of weeks above 0 and at most 520, found '{text}'"
        )),
    }
}

#[derive(Debug, Clone, Args)]
pub struct PartialArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Where to write the partial (atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// Partial files of one analysis, one per partition.
    #[arg(value_name = "PARTIAL", required = true)]
    pub partials: Vec<PathBuf>,
    /// How many of the best customers with a gap to list.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub top: usize,
    #[arg(long, value_enum, default_value_t = MergeFormat::Markdown)]
    pub format: MergeFormat,
    /// Write here instead of stdout (atomically).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What `revgap merge` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MergeFormat {
    Markdown,
    Json,
    Csv,
}
