//! Everything the explorer shows, and nothing about the terminal: `update` changes it,
//! `view` draws it. The customer list is a vector of customer indices (filtered, then
//! sorted) so only the visible rows are ever formatted.

use super::keymap::Keymap;
use super::tuning::TuningForm;
use crate::config::Config;
use crate::data::Dataset;
use crate::engine::{Analysis, CustomerScore, compare_ids};
use crate::narrative::generate::Generated;
use rayon::prelude::*;
use std::collections::HashMap;
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

/// What the keyboard is talking to.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter; the text so far.
    Filter(String),
    /// Typing a customer id to jump to; the text so far.
    GoTo(String),
    Help,
    Tuning(Box<TuningForm>),
    Export,
    /// The pivot table of one segment dimension.
    Pivot(Box<super::pivot::PivotState>),
    /// The cohort heatmap.
    Cohorts(Box<super::cohorts::CohortView>),
    /// Typing the name of a new campaign; the text so far.
    NewCampaign(String),
    /// The ledger's campaigns.
    Campaigns(Box<super::campaigns::CampaignsView>),
    /// The selected customer's drafts, with the checker's verdict.
    DraftPreview,
    /// Success metrics across measured campaigns; `None` while they are read.
    Metrics(Box<Option<Result<crate::outcome::metrics::Metrics, String>>>),
}

/// Where the analysis is.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Loading or analysing; progress 0–1 and what is happening.
    Working {
        progress: f64,
        what: String,
    },
    Ready,
    Failed(String),
}

/// A finished analysis and its data.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub dataset: Arc<Dataset>,
    pub analysis: Arc<Analysis>,
}

/// A generated narrative for one customer, as far as it has got.
#[derive(Debug, Clone, PartialEq)]
pub enum NarrativePhase {
    /// Tokens so far; `retry` describes a retry in progress.
    Streaming {
        text: String,
        tokens: usize,
        retry: Option<String>,
    },
    Done(Box<Generated>),
    /// Cancelled by the user; the text so far is kept but not trusted.
    Cancelled {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct NarrativeView {
    /// The request that produced it; updates for other requests are stale.
    pub request: u64,
    pub phase: NarrativePhase,
}

/// List columns the user can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Rank,
    Id,
    GapType,
    Severity,
    GapAmount,
    Churn,
}

impl SortColumn {
    pub const ORDER: [SortColumn; 6] = [
        SortColumn::Rank,
        SortColumn::Id,
        SortColumn::GapType,
        SortColumn::Severity,
        SortColumn::GapAmount,
        SortColumn::Churn,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Rank => "rank",
            Self::Id => "id",
            Self::GapType => "gap type",
            Self::Severity => "severity",
            Self::GapAmount => "gap $",
            Self::Churn => "churn",
        }
    }

    pub fn next(self) -> Self {
        let at = Self::ORDER.iter().position(|c| *c == self).unwrap_or(0);
        Self::ORDER[(at + 1) % Self::ORDER.len()]
    }
}

/// The explorer's whole state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Where the data comes from, for the footer.
    pub source: String,
    pub phase: Phase,
    pub loaded: Option<Loaded>,
    /// Customer indices in display order (after filter and sort).
    pub view: Vec<u32>,
    /// Position of the selection in `view`.
    pub selected: usize,
    /// First visible position of the list.
    pub offset: usize,
    pub sort: SortColumn,
    pub reversed: bool,
    /// The applied filter (space-separated terms, all must match; see `filter`).
    pub filter: String,
    /// Why the filter could not be read, while it cannot (it then matches no one).
    pub filter_error: Option<String>,
    /// List every customer, not only those with a gap.
    pub show_all: bool,
    pub focus: Pane,
    pub mode: Mode,
    pub width: u16,
    pub height: u16,
    /// A transient message for the footer (cleared by the next key).
    pub status: Option<String>,
    /// Problems with the user's configuration, shown until dismissed by any key.
    pub notices: Vec<String>,
    pub keymap: Keymap,
    /// The engine configuration the current analysis uses (tuning edits a copy).
    pub config: Config,
    /// Incremented for each analysis request; results of older requests are dropped.
    pub generation: u64,
    pub color: bool,
    pub quit: bool,
    /// Narratives by customer index (this session).
    pub narratives: HashMap<usize, NarrativeView>,
    /// The request in flight, and its customer.
    pub active_request: Option<(u64, usize)>,
    /// Request ids are never reused.
    pub last_request: u64,
    /// Why generated text cannot be had (e.g. no endpoint), if so.
    pub llm_unavailable: Option<String>,
    /// Generated texts rejected by grounding this session.
    pub grounding_failures: usize,
    /// Advances while a request streams (the spinner).
    pub spinner: usize,
    /// Customers marked for a campaign (dataset indices).
    pub marked: std::collections::BTreeSet<u32>,
    /// The selected customer's campaigns from the ledger, once read.
    pub history: Option<super::campaigns::History>,
    /// A campaign is being made in the background.
    pub creating_campaign: bool,
}

impl AppState {
    pub fn new(source: String, config: Config, keymap: Keymap, color: bool) -> Self {
        Self {
            source,
            phase: Phase::Working {
                progress: 0.0,
                what: "loading data".into(),
            },
            loaded: None,
            view: Vec::new(),
            selected: 0,
            offset: 0,
            sort: SortColumn::Rank,
            reversed: false,
            filter: String::new(),
            filter_error: None,
            show_all: false,
            focus: Pane::List,
            mode: Mode::Normal,
            width: 80,
            height: 24,
            status: None,
            notices: Vec::new(),
            keymap,
            config,
            generation: 0,
            color,
            quit: false,
            narratives: HashMap::new(),
            active_request: None,
            last_request: 0,
            llm_unavailable: None,
            grounding_failures: 0,
            spinner: 0,
            marked: Default::default(),
            history: None,
            creating_campaign: false,
        }
    }

    /// The selected customer's dataset index.
    pub fn selected_customer(&self) -> Option<usize> {
        self.view.get(self.selected).map(|c| *c as usize)
    }

    /// Rebuilds `view` after new results, a new filter or a new sort, keeping the selected
    /// customer selected when it is still listed.
    pub fn rebuild_view(&mut self) {
        let keep = self.selected_customer();
        let Some(loaded) = &self.loaded else {
            self.view.clear();
            return;
        };
        let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
        let parsed = crate::engine::filter::Filter::parse(&self.filter, dataset, analysis);
        self.filter_error = parsed.as_ref().err().cloned();
        // Ranked customers first (best first), then, when all are shown, the rest by id.
        let listed: Vec<u32> = if self.show_all {
            let mut rest: Vec<u32> = (0..analysis.scores.len() as u32)
                .filter(|c| analysis.scores[*c as usize].rank == 0)
                .collect();
            rest.sort_by(|a, b| {
                compare_ids(
                    &dataset.customer_ids[*a as usize],
                    &dataset.customer_ids[*b as usize],
                )
            });
            analysis
                .ranking
                .iter()
                .map(|c| *c as u32)
                .chain(rest)
                .collect()
        } else {
            analysis.ranking.iter().map(|c| *c as u32).collect()
        };
        let mut view: Vec<u32> = match parsed {
            Err(_) => Vec::new(),
            Ok(filter) if filter.is_empty() => listed,
            Ok(filter) => listed
                .into_par_iter()
                .filter(|c| filter.matches(dataset, analysis, *c as usize))
                .collect(),
        };
        sort_view(
            &mut view,
            self.sort,
            self.reversed,
            dataset,
            &analysis.scores,
        );
        self.view = view;
        self.selected = keep
            .and_then(|customer| self.view.iter().position(|c| *c as usize == customer))
            .unwrap_or(0);
        self.scroll_to_selection();
    }

    /// Rows the list shows at the current size (matches the view's layout).
    pub fn list_rows(&self) -> usize {
        super::view::layout::list_rows(self.width, self.height)
    }

    /// Keeps the selection inside the visible window.
    pub fn scroll_to_selection(&mut self) {
        let rows = self.list_rows().max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        let last_offset = self.view.len().saturating_sub(rows);
        self.offset = self.offset.min(last_offset);
    }

    /// Jumps to the customer with id `id`, listing every customer when they have no gap, and
    /// clearing a filter that hides them; the message says what happened.
    pub fn go_to(&mut self, id: &str) -> String {
        let Some(loaded) = &self.loaded else {
            return "no analysis yet".into();
        };
        let Some(customer) = loaded.dataset.customer_ids.position(id.trim()) else {
            return format!("no customer '{}'", id.trim());
        };
        let ranked = loaded.analysis.scores[customer].rank > 0;
        if !ranked && !self.show_all {
            self.show_all = true;
        }
        self.rebuild_view();
        if !self.view.contains(&(customer as u32)) {
            self.filter.clear();
            self.rebuild_view();
        }
        if let Some(position) = self.view.iter().position(|c| *c as usize == customer) {
            self.selected = position;
            self.scroll_to_selection();
        }
        if ranked {
            format!("customer {}", id.trim())
        } else {
            format!(
                "customer {} has no gap (listing all customers; a toggles)",
                id.trim()
            )
        }
    }

    /// Moves the selection by `delta` rows, clamped to the list.
    pub fn move_selection(&mut self, delta: isize) {
        if self.view.is_empty() {
            return;
        }
        let last = self.view.len() - 1;
        self.selected = self.selected.saturating_add_signed(delta).min(last);
        self.scroll_to_selection();
    }
}

fn sort_view(
    view: &mut [u32],
    column: SortColumn,
    reversed: bool,
    dataset: &Dataset,
    scores: &[CustomerScore],
) {
    let ids = &dataset.customer_ids;
    // Unranked customers (no gap, rank 0) after every ranked one.
    let rank_key = |c: &u32| match scores[*c as usize].rank {
        0 => u32::MAX,
        rank => rank,
    };
    let by_rank = |a: &u32, b: &u32| {
        rank_key(a)
            .cmp(&rank_key(b))
            .then_with(|| compare_ids(&ids[*a as usize], &ids[*b as usize]))
    };
    let compare = |a: &u32, b: &u32| {
        let (x, y) = (&scores[*a as usize], &scores[*b as usize]);
        let primary = match column {
            SortColumn::Rank => std::cmp::Ordering::Equal,
            SortColumn::Id => compare_ids(&ids[*a as usize], &ids[*b as usize]),
            SortColumn::GapType => x.primary.cmp(&y.primary),
            SortColumn::Severity => y.primary_severity.cmp(&x.primary_severity),
            SortColumn::GapAmount => y.gap_size.total_cmp(&x.gap_size),
            SortColumn::Churn => y.churn_points.cmp(&x.churn_points),
        };
        let ordering = primary.then_with(|| by_rank(a, b));
        if reversed {
            ordering.reverse()
        } else {
            ordering
        }
    };
    view.par_sort_unstable_by(compare);
}
