//! The explorer's plain data, below its state: panes, sort columns, the finished analysis,
//! and the sub-states of the overlays (campaigns, cohorts, pivot, named views, field help).
//! Types and their self-contained methods only; the logic that needs the whole `AppState`
//! stays in each feature's module, so nothing here imports the state, the update or the view.

pub use super::columns::{ListColumn, SortColumn};
use crate::data::Dataset;
use crate::engine::Analysis;
use crate::ledger::{Campaign, Membership};
use crate::report::segments::CohortMetric;
use crate::segment::cohort::{CohortTable, Period};
use crate::segment::summary::SegmentRow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The panes that can have focus, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
    Scores,
    Rationale,
}

impl Pane {
    pub const ORDER: [Pane; 4] = [Pane::List, Pane::Detail, Pane::Scores, Pane::Rationale];

    pub fn title(self) -> &'static str {
        match self {
            Self::List => "Customers",
            Self::Detail => "Gap detail",
            Self::Scores => "Scores",
            Self::Rationale => "Rationale",
        }
    }
}

/// A finished analysis and its data.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub dataset: Arc<Dataset>,
    pub analysis: Arc<Analysis>,
}

/// The list's share of the screen until the user resizes it.
pub const DEFAULT_LIST_SHARE: u16 = 46;

/// The list's share stays within these bounds.
pub const LIST_SHARE_RANGE: (u16, u16) = (25, 75);

/// The ledger's campaigns as the view shows them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CampaignsView {
    pub campaigns: Vec<Campaign>,
    /// Why they could not be read, if so.
    pub error: Option<String>,
    pub selected: usize,
    /// The campaign opened with Enter, once read; `Some(Err)` when it could not be.
    pub open: Option<Result<Box<CampaignDetail>, String>>,
}

/// One campaign opened from the campaigns view: every member with arm, channel, offer,
/// delivery and draft verdict, and the measured result when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignDetail {
    pub campaign: Campaign,
    pub roster: Vec<crate::ledger::RosterRow>,
    pub result: Option<crate::outcome::metrics::CampaignResult>,
    /// First member row shown.
    pub scroll: usize,
}

impl CampaignDetail {
    /// The measured result in one line, or how to get one.
    pub fn result_line(&self) -> String {
        self.result_lines().join("; ")
    }

    /// The measured result as the view shows it: when and the verdict, then the estimate with
    /// its 95 % interval; or how to get one.
    pub fn result_lines(&self) -> Vec<String> {
        match &self.result {
            Some(result) => {
                let estimate = &result.incremental_revenue_per_treated;
                vec![
                    format!(
                        "measured {}, {} weeks ({}): {}",
                        result.measured_at.get(..10).unwrap_or(&result.measured_at),
                        result.weeks,
                        crate::outcome::render::estimator_name(result.estimator),
                        result.verdict
                    ),
                    format!(
                        "{} a week per treated member (95 % interval {} to {})",
                        crate::text::money(estimate.estimate),
                        crate::text::money(estimate.ci_low),
                        crate::text::money(estimate.ci_high),
                    ),
                ]
            }
            None if self.campaign.measurable() => vec![format!(
                "not measured yet: revgap campaign measure {} --weekly FOLLOW-UP",
                self.campaign.campaign_id
            )],
            None => vec!["not measurable (made without a control group)".into()],
        }
    }
}

/// One customer's campaigns, as read from the ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub customer: usize,
    pub memberships: Result<Vec<Membership>, String>,
}

/// The open cohort view.
#[derive(Debug, Clone, PartialEq)]
pub struct CohortView {
    pub period: Period,
    pub metric: CohortMetric,
    /// `None` while it is being computed.
    pub table: Option<CohortTable>,
    /// First period-since column shown (scrolls with ←/→).
    pub first_column: usize,
    /// First cohort row shown (scrolls with ↑/↓).
    pub first_row: usize,
}

/// The open pivot table.
#[derive(Debug, Clone, PartialEq)]
pub struct PivotState {
    /// Index into the analysis's segment dimensions.
    pub dimension: usize,
    pub rows: Vec<SegmentRow>,
    pub selected: usize,
    /// All customers analysed (for the share column).
    pub customers: usize,
}

/// How the list and panes look: what a named view saves and a data source remembers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ViewSettings {
    pub sort: String,
    pub reversed: bool,
    pub filter: String,
    /// The filter narrows the list (false: it finds rows in it).
    pub narrow: bool,
    pub show_all: bool,
    pub columns: Vec<ListColumn>,
    pub list_share: u16,
    pub weekly_table: bool,
}

impl Default for ViewSettings {
    fn default() -> Self {
        Self {
            sort: SortColumn::Rank.key().to_string(),
            reversed: false,
            filter: String::new(),
            narrow: true,
            show_all: false,
            columns: ListColumn::DEFAULT.to_vec(),
            list_share: DEFAULT_LIST_SHARE,
            weekly_table: false,
        }
    }
}

/// The named views file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamedViews {
    pub views: BTreeMap<String, ViewSettings>,
}

/// What the views popup asks the app to do with the named views file.
#[derive(Debug, Clone, PartialEq)]
pub enum ViewsRequest {
    Read,
    Save(String, ViewSettings),
    Delete(String),
}

/// The named-views popup.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewsPopup {
    /// Saved views, by name, with a summary line.
    pub names: Vec<(String, String)>,
    pub views: BTreeMap<String, ViewSettings>,
    pub cursor: usize,
    /// A name being typed to save the current view under.
    pub typing: Option<String>,
    pub problem: Option<String>,
}

impl ViewsPopup {
    pub fn open() -> Self {
        Self::default()
    }

    /// Shows the named views as read (or why they could not be).
    pub fn show(&mut self, named: Result<NamedViews, String>) {
        match named {
            Ok(named) => {
                self.names = named
                    .views
                    .iter()
                    .map(|(name, view)| (name.clone(), view.summary()))
                    .collect();
                self.views = named.views;
                self.cursor = self.cursor.min(self.names.len().saturating_sub(1));
                self.problem = None;
            }
            Err(problem) => self.problem = Some(problem),
        }
    }
}

/// The fields that can be explained, in the order Tab / j walk them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Score,
    Gap,
    GapPerWeek,
    Churn,
    Potential,
    Averages,
    Segments,
}

impl Field {
    pub const ORDER: [Field; 7] = [
        Field::Score,
        Field::Gap,
        Field::GapPerWeek,
        Field::Churn,
        Field::Potential,
        Field::Averages,
        Field::Segments,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Score => "score",
            Self::Gap => "gap and severity",
            Self::GapPerWeek => "gap $/wk",
            Self::Churn => "churn %",
            Self::Potential => "potential",
            Self::Averages => "baseline and recent",
            Self::Segments => "segments",
        }
    }

    /// The field the list is sorted by: where the user is looking.
    pub fn of_sort(sort: SortColumn) -> Self {
        match sort {
            SortColumn::Rank | SortColumn::Id | SortColumn::Revenue => Self::Score,
            SortColumn::GapType | SortColumn::Severity => Self::Gap,
            SortColumn::GapAmount => Self::GapPerWeek,
            SortColumn::Churn | SortColumn::LastBuy => Self::Churn,
            SortColumn::Potential => Self::Potential,
            SortColumn::ValueTier | SortColumn::Lifecycle => Self::Segments,
        }
    }

    pub fn step(self, forward: bool) -> Self {
        let at = Self::ORDER.iter().position(|f| *f == self).unwrap_or(0);
        let count = Self::ORDER.len();
        Self::ORDER[if forward {
            (at + 1) % count
        } else {
            (at + count - 1) % count
        }]
    }
}

/// What the view measured when it last drew, for `update` and the mouse: how far the gap
/// detail and the help can scroll, and where the list's sortable headers are. The app stores
/// it after every frame, so input is judged against what is on the screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measured {
    /// Rows the gap detail can scroll, and the rows it shows at once.
    pub detail_room: u16,
    pub detail_page: u16,
    /// Rows the help overlay can scroll.
    pub help_room: u16,
    /// The list's sortable header cells: the column, its start inside the list's border, and
    /// its width.
    pub sort_cells: Vec<(SortColumn, u16, u16)>,
}
