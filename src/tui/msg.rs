//! What happens to the explorer (`Msg`) and what it asks the app to do (`Command`): plain data
//! below the state and every feature, so a feature returns commands without importing
//! `update`, and the app's workers send messages without importing the features.

use super::basics::Loaded;
use crate::config::Config;
use crate::narrative::client::LlmEvent;
use crate::narrative::generate::Generated;
use crate::report::Format;
use crossterm::event::KeyEvent;

/// Something that happened.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// One customer's narrative from batch `request`.
    BatchItem {
        request: u64,
        customer: usize,
        generated: Box<Generated>,
    },
    /// Batch `request` has nothing more to send; `refused` were not sent (token budget).
    BatchFinished {
        request: u64,
        refused: usize,
    },
    /// A click or a wheel turn (when the mouse is on).
    Mouse(crossterm::event::MouseEvent),
    Resize(u16, u16),
    /// Loading/analysis progress of request `generation`.
    Progress {
        generation: u64,
        progress: f64,
        what: String,
    },
    /// The result of analysis request `generation`.
    Analysed {
        generation: u64,
        result: Result<Loaded, String>,
    },
    /// An export finished: the path written, or why not.
    Exported(Result<String, String>),
    /// Progress of LLM request `request` for dataset customer `customer`.
    Llm {
        request: u64,
        customer: usize,
        update: LlmUpdate,
    },
    /// Time passes while something animates (a request streams).
    Tick,
    /// A cohort table was computed.
    Cohorts(crate::segment::cohort::CohortTable),
    /// A campaign was made (a one-line summary) or not (why).
    CampaignCreated(Result<String, String>),
    /// The ledger's campaigns, or why they could not be read.
    Campaigns(Result<Vec<crate::ledger::Campaign>, String>),
    Campaign(Result<Box<super::basics::CampaignDetail>, String>),
    /// One customer's campaigns from the ledger.
    History(super::basics::History),
    /// The success metrics, or why they could not be read.
    Metrics(Result<crate::outcome::metrics::Metrics, String>),
    /// What changed, for analysis request `generation` (or why it could not be read).
    Changes {
        generation: u64,
        result: Result<super::changes::ChangeMarks, String>,
    },
    /// The named views, as read or changed (or why not).
    Views(Result<super::basics::NamedViews, String>),
    /// List request `generation` built: all of it, or a first part when not `complete`.
    ListBuilt {
        generation: u64,
        list: super::list_index::BuiltList,
        complete: bool,
    },
}

/// What an LLM request reports.
#[derive(Debug)]
pub enum LlmUpdate {
    Event(LlmEvent),
    Finished(Box<Generated>),
}

/// Something the app must do outside `update`.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Re-run the analysis on the loaded data with this configuration.
    Analyze {
        generation: u64,
        config: Box<Config>,
    },
    /// Write the current view in this format.
    Export(Format),
    /// Start LLM request `request` for dataset customer `customer`.
    Generate {
        request: u64,
        customer: usize,
    },
    /// Drop request `request` (its connection closes).
    Cancel(u64),
    /// Narratives for these customers, as batch `request`.
    GenerateBatch {
        request: u64,
        customers: Vec<usize>,
    },
    Suspend,
    /// Compute the cohort table for this period.
    Cohorts(crate::segment::cohort::Period),
    /// Put this text on the clipboard (OSC 52, so it works over SSH).
    Copy(String),
    /// Make a campaign of these customers (dataset indices, in order) in the ledger.
    CreateCampaign {
        name: String,
        customers: Vec<u32>,
    },
    /// Read the ledger's campaigns.
    LoadCampaigns,
    /// One campaign's members and measured result, for the campaigns view.
    LoadCampaign(i64),
    /// Write the opened campaign as shown (CSV) into the working directory.
    ExportCampaign(Box<super::basics::CampaignDetail>),
    /// Read this customer's campaigns and drafts from the ledger.
    LoadHistory(usize),
    /// Read the success metrics from the ledger.
    LoadMetrics,
    /// Build the list off the UI thread (a newer request makes an unfinished one stop).
    BuildList(super::list_index::ListRequest),
    /// Make the list's sort orders for a new analysis, in the background.
    PrepareOrders,
    /// Read or change the named views file.
    Views(super::basics::ViewsRequest),
}
