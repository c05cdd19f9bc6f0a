//! The `campaign` commands' arguments: create, show, export, send, simulate and measure, and
//! the ledger they work on.

use super::{DataArgs, LearningArgs, LlmBatchArgs};
use crate::data::parse_date_arg;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Select customers, drop the ones who cannot be contacted, randomize, and store.
    Create(Box<CampaignCreateArgs>),
    /// Every campaign in the ledger.
    List(LedgerArgs),
    /// One campaign with every member (treated and control).
    Show(CampaignShowArgs),
    /// Write the treated members and their checked drafts for a sending platform (never the
    /// control group).
    Export(CampaignExportArgs),
    /// POST each treated member with a passing draft to a webhook, signed per Standard
    /// Webhooks (secret from REVGAP_WEBHOOK_SECRET), or email the email members through an
    /// SMTP relay; safe to re-run after an interruption.
    Send(CampaignSendArgs),
    /// Measure a sent campaign on follow-up data: incremental revenue per window with
    /// intervals (Welch and CUPED), recovery and churn per arm, delivery, time to action.
    Measure(Box<CampaignMeasureArgs>),
    /// Write follow-up weekly spend with a known effect for a campaign's members (a weekly
    /// panel CSV), to try `measure` and to test it.
    SimulateOutcome(CampaignSimulateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MeasureFormat {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct CampaignMeasureArgs {
    /// The campaign's id (see `campaign list`).
    pub id: i64,
    #[command(flatten)]
    pub data: DataArgs,
    /// Follow-up windows in weeks after the campaign's as-of date (default: [outcome] windows).
    #[arg(long, value_name = "K[,K...]", value_delimiter = ',')]
    pub windows: Option<Vec<usize>>,
    /// First day of the follow-up (default: the day after the campaign's as-of date).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub from: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = MeasureFormat::Markdown)]
    pub format: MeasureFormat,
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CampaignSimulateArgs {
    /// The campaign's id (see `campaign list`).
    pub id: i64,
    /// Added to each treated member's expected weekly spend (currency per week, ≥ 0).
    #[arg(long, default_value_t = 0.0)]
    pub effect: f64,
    /// Correlation of pre-campaign and follow-up weekly spend (0 to 1).
    #[arg(long, default_value_t = 0.7)]
    pub correlation: f64,
    /// Follow-up weeks to write.
    #[arg(long, default_value_t = 8)]
    pub weeks: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The weekly panel to write (customer_id,week_start_date,weekly_spend).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("route").required(true).args(["webhook", "smtp"])))]
pub struct CampaignSendArgs {
    /// The campaign's id (see `campaign list`).
    pub id: i64,
    /// The endpoint (http:// or https://): every treated member, whatever the channel.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// An SMTP relay (smtp://host:port, smtps://user:pass@host): the members reached by email.
    #[arg(long, value_name = "URL")]
    pub smtp: Option<String>,
    /// Attempts per member in this run (429, 5xx, timeouts and connection errors retry; SMTP:
    /// 4xx replies and connection errors).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: u32,
    /// The longest the whole send may take (e.g. 90s, 5m, 1h); members not delivered by then
    /// stay pending for a re-run.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub deadline: std::time::Duration,
    /// Let the relay's credentials travel without TLS (smtp:// with a user, no tls=required).
    #[arg(long, requires = "smtp")]
    pub smtp_insecure_auth: bool,
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CampaignExportArgs {
    /// The campaign's id (see `campaign list`).
    pub id: i64,
    /// The import format.
    #[arg(long, value_parser = super::choice::<ExportPreset>(), default_value = "generic")]
    pub preset: ExportPreset,
    /// The file to write (UTF-8 CSV).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

pub use crate::handoff::export::Preset as ExportPreset;

/// A duration: a whole number with `s`, `m` or `h` (seconds without one), from 1 s to 24 h.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let trimmed = text.trim();
    let (number, unit) = match trimmed.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, "s"),
    };
    let seconds = match (number.parse::<u64>(), unit) {
        (Ok(n), "s") => Some(n),
        (Ok(n), "m") => n.checked_mul(60),
        (Ok(n), "h") => n.checked_mul(3_600),
        _ => None,
    };
    match seconds {
        Some(seconds) if (1..=86_400).contains(&seconds) => {
            Ok(std::time::Duration::from_secs(seconds))
        }
        _ => Err(format!(
            "expected a duration from 1s to 24h such as 90s, 5m or 1h, found '{text}'"
        )),
    }
}

/// Where the ledger is and how to print.
#[derive(Debug, Clone, Args)]
pub struct LedgerArgs {
    /// The ledger file (default: revgap/ledger.sqlite in the platform's data directory).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = CampaignFormat::Text)]
    pub format: CampaignFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CampaignFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct CampaignShowArgs {
    /// The campaign's id (see `campaign list`).
    pub id: i64,
    #[command(flatten)]
    pub ledger: LedgerArgs,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("selection").required(true).args(["top", "customers_file", "filter"])))]
pub struct CampaignCreateArgs {
    /// The campaign's name (unique in the ledger).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub data: DataArgs,
    /// The contacts file (customer_id,email,phone,timezone,language,email_opt_in,sms_opt_in);
    /// default: contacts.csv beside the bundled sample.
    #[arg(long, value_name = "FILE")]
    pub contacts: Option<PathBuf>,
    /// The first N customers of the ranking.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// A file of customer ids, one per line.
    #[arg(long, value_name = "IDS")]
    pub customers_file: Option<PathBuf>,
    /// The ranked customers matching a filter expression, as in the explorer (e.g.
    /// "gap>100 type:zero region:east").
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Channels in order of preference for this campaign (default: [outreach.channels] order).
    #[arg(long, value_name = "CH[,CH...]", value_delimiter = ',')]
    pub channels: Option<Vec<String>>,
    /// A catalog offer (its id) for every treated member, instead of the offer that fits each
    /// member's gap.
    #[arg(long, value_name = "ID")]
    pub offer: Option<String>,
    /// Share of the treated, largest gaps first, put on the sales team's call list (default:
    /// [outreach.channels] phone_top_share; 0 = none).
    #[arg(long, value_name = "SHARE")]
    pub phone_share: Option<f64>,
    /// Share of eligible customers held out as the control group (0.05 to 0.50); a campaign
    /// needs [outcome] min_control control members (30) to be measured.
    #[arg(long, default_value_t = crate::campaign::DEFAULT_CONTROL_SHARE)]
    pub control: f64,
    /// No control group: every eligible customer is treated, and the campaign is marked as one
    /// that cannot be measured.
    #[arg(long, conflicts_with = "control")]
    pub no_control: bool,
    /// Keep customers who are in another campaign whose measurement window is still open (by
    /// default they are left out and counted); both campaigns' reports name the overlap.
    #[arg(long)]
    pub allow_overlap: bool,
    /// Salt of the assignment (default: the name): the same salt and inputs give the same arms.
    #[arg(long)]
    pub salt: Option<String>,
    #[command(flatten)]
    pub batch: LlmBatchArgs,
    #[command(flatten)]
    pub ledger: LedgerArgs,
    #[command(flatten)]
    pub learning: LearningArgs,
}
