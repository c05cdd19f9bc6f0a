//! Everything the explorer shows, and nothing about the terminal: `update` changes it,
//! `view` draws it. The customer list is a vector of customer indices (filtered, then
//! sorted) so only the visible rows are ever formatted.

use super::basics::{
    CampaignsView, CohortView, Field, History, PivotState, ViewsPopup, ViewsRequest,
};
pub use super::basics::{DEFAULT_LIST_SHARE, LIST_SHARE_RANGE, Loaded, Pane, SortColumn};
use super::keymap::Keymap;
pub use super::list_index::ListRequest;
use super::list_index::{BuiltList, ListSpec, SortOrders};
use super::tuning::TuningForm;
use crate::config::Config;
use crate::engine::filter::Filter;
use crate::narrative::generate::Generated;
use std::collections::HashMap;
use std::sync::Arc;

/// What the keyboard is talking to.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// Typing a filter; the text so far.
    Filter(String),
    /// Typing a customer id to jump to; the text so far.
    GoTo(String),
    /// The key help, scrolled down this many rows.
    Help(u16),
    /// What a field means, and the selected customer's value explained.
    FieldHelp(Field),
    Tuning(Box<TuningForm>),
    Export,
    /// The pivot table of one segment dimension.
    Pivot(Box<PivotState>),
    /// The cohort heatmap.
    Cohorts(Box<CohortView>),
    /// Typing the name of a new campaign; the text so far.
    NewCampaign(String),
    /// The ledger's campaigns.
    Campaigns(Box<CampaignsView>),
    /// The selected customer's drafts, with the checker's verdict.
    DraftPreview,
    /// What changed since the results last changed, with the trend across runs.
    WhatChanged,
    /// Choosing the list's columns; the highlighted one.
    Columns(usize),
    /// Named views: the list, the highlighted one, and a name being typed.
    Views(Box<ViewsPopup>),
    /// Success metrics across measured campaigns; `None` while they are read.
    Metrics(Box<Option<Result<crate::outcome::metrics::Metrics, String>>>),
    /// Quitting would lose something (marked customers, a running narrative batch): what, asked
    /// once.
    ConfirmQuit(String),
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

/// The explorer's whole state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Where the data comes from, for the footer.
    pub source: String,
    pub phase: Phase,
    pub loaded: Option<Loaded>,
    /// Customer indices in display order (after filter and sort).
    pub view: Vec<u32>,
    /// When the filter finds rather than narrows: the positions in `view` it matches.
    pub found: Vec<u32>,
    /// The filter narrows the list; when false it finds rows and `n`/`N` jump between them.
    pub narrow: bool,
    /// The list's sort orders for the current analysis.
    pub orders: Arc<SortOrders>,
    /// Incremented for each list request; older results are dropped.
    pub list_generation: u64,
    /// The list shown is a first part or stale: a newer one is being built.
    pub list_building: bool,
    /// A list request for the app to run off the UI thread.
    pub pending_list: Option<ListRequest>,
    /// The customer to keep selected when the list being built arrives.
    pub keep_customer: Option<usize>,
    /// What changed since the results last changed (once read from the snapshots).
    pub changes: Option<Arc<super::changes::ChangeMarks>>,
    /// Rows the gap detail is scrolled down (reset for each customer).
    pub detail_scroll: u16,
    /// What the view measured when it last drew (the app stores it after every frame).
    pub measured: super::basics::Measured,
    /// The gap detail shows the table of weekly values instead of the chart.
    pub weekly_table: bool,
    /// The list's columns after rank and id, in order.
    pub columns: Vec<super::columns::ListColumn>,
    /// The list's share of the screen, in percent (the detail panes get the rest).
    pub list_share: u16,
    /// The batch of generated narratives for marked customers, while it runs and after.
    pub batch: Option<BatchView>,
    /// A request on the named views file for the app to run.
    pub pending_views: Option<ViewsRequest>,
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
    pub history: Option<History>,
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
            found: Vec::new(),
            narrow: true,
            orders: Arc::default(),
            list_generation: 0,
            list_building: false,
            pending_list: None,
            keep_customer: None,
            detail_scroll: 0,
            measured: Default::default(),
            weekly_table: false,
            columns: super::columns::ListColumn::DEFAULT.to_vec(),
            list_share: DEFAULT_LIST_SHARE,
            pending_views: None,
            batch: None,
            changes: None,
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
    /// customer selected when it is still listed. Small lists are built here; large ones are
    /// left in `pending_list` for the app to build off the UI thread (the current list stays
    /// on screen, marked busy, until the first part arrives).
    pub fn rebuild_view(&mut self) {
        if self.keep_customer.is_none() {
            self.keep_customer = self.selected_customer();
        }
        let Some(loaded) = &self.loaded else {
            self.view.clear();
            self.found.clear();
            return;
        };
        let parsed = super::changes::split_filter(&self.filter).and_then(|(rest, changed)| {
            let changed = match (changed, &self.changes) {
                (None, _) => None,
                (Some(keep), Some(marks)) => Some((keep, marks.clone())),
                (Some(_), None) => {
                    return Err(
                        "filter: changed: needs the snapshots of an earlier run (none read)"
                            .to_string(),
                    );
                }
            };
            Filter::parse(&rest, &loaded.dataset, &loaded.analysis)
                .map(|f| (f, changed))
                .map_err(|e| e.to_string())
        });
        self.filter_error = parsed.as_ref().err().cloned();
        self.list_generation += 1;
        let Ok((filter, changed)) = parsed else {
            // A malformed filter matches no one.
            self.pending_list = None;
            self.list_building = false;
            self.apply_list(BuiltList::default(), true);
            return;
        };
        let spec = ListSpec {
            filter,
            sort: self.sort,
            reversed: self.reversed,
            show_all: self.show_all,
            narrow: self.narrow,
            changed,
        };
        if loaded.analysis.scores.len() <= super::list_index::BUILD_IN_PLACE_UP_TO {
            let built =
                super::list_index::build(loaded, &self.orders, &spec, &|| false, &mut |_| {});
            self.pending_list = None;
            self.list_building = false;
            self.apply_list(built.unwrap_or_default(), true);
        } else {
            self.list_building = true;
            self.pending_list = Some(ListRequest {
                generation: self.list_generation,
                spec,
            });
        }
    }

    /// Shows a built list (or its first part), keeping the remembered customer selected.
    pub fn apply_list(&mut self, list: BuiltList, complete: bool) {
        self.view = list.rows;
        self.found = list.found;
        let keep = self.keep_customer;
        match keep.and_then(|customer| self.view.iter().position(|c| *c as usize == customer)) {
            Some(position) => self.selected = position,
            None => self.selected = self.selected.min(self.view.len().saturating_sub(1)),
        }
        if complete {
            self.keep_customer = None;
            if keep.is_some() && self.selected_customer() != keep {
                self.selected = 0;
            }
        }
        self.scroll_to_selection();
    }

    /// Moves to the next (`forward`) or previous row the filter finds, wrapping around.
    pub fn next_found(&mut self, forward: bool) -> Option<String> {
        if self.narrow || self.filter.is_empty() {
            if self.view.is_empty() {
                return Some("no rows".into());
            }
            // Narrowed, every row matches: the next match is the next row.
            let last = self.view.len() - 1;
            self.selected = match (forward, self.selected) {
                (true, at) if at >= last => 0,
                (true, at) => at + 1,
                (false, 0) => last,
                (false, at) => at - 1,
            };
            self.keep_customer = None;
            self.scroll_to_selection();
            return None;
        }
        if self.found.is_empty() {
            return Some(format!("no row matches \"{}\"", self.filter));
        }
        let at = self.selected as u32;
        let index = if forward {
            self.found.partition_point(|p| *p <= at) % self.found.len()
        } else {
            match self.found.partition_point(|p| *p < at) {
                0 => self.found.len() - 1,
                n => n - 1,
            }
        };
        self.selected = self.found[index] as usize;
        self.keep_customer = None;
        self.scroll_to_selection();
        Some(format!("match {} of {}", index + 1, self.found.len()))
    }

    /// Rows the list shows at the current size (matches the view's layout).
    pub fn list_rows(&self) -> usize {
        super::layout::list_rows(self.width, self.height, self.list_share)
    }

    /// Keeps the selection inside the visible window.
    /// What quitting now would lose, said for the quit question; `None` when nothing would.
    pub fn unsaved_work(&self) -> Option<String> {
        let mut lost = Vec::new();
        if !self.marked.is_empty() {
            lost.push(format!(
                "{} marked customer{} will be forgotten",
                self.marked.len(),
                if self.marked.len() == 1 { "" } else { "s" }
            ));
        }
        if let Some(batch) = self.batch.as_ref().filter(|batch| !batch.finished) {
            lost.push(format!(
                "the narrative batch stops at {} of {}",
                batch.done, batch.total
            ));
        }
        (!lost.is_empty()).then(|| lost.join("; "))
    }

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
    /// clearing a filter that hides them; the message says what happened. On a large list the
    /// selection lands when the rebuilt list arrives.
    pub fn go_to(&mut self, id: &str) -> String {
        let Some(loaded) = &self.loaded else {
            return "no analysis yet".into();
        };
        let Some(customer) = loaded.dataset.customer_ids.position(id.trim()) else {
            return format!("no customer '{}'", id.trim());
        };
        let ranked = loaded.analysis.scores[customer].rank > 0;
        // Any filter that is not plain engine terms (a `changed:` term) is cleared to be safe.
        let hidden = self.narrow
            && !self.filter.is_empty()
            && !Filter::parse(&self.filter, &loaded.dataset, &loaded.analysis)
                .is_ok_and(|f| f.matches(&loaded.dataset, &loaded.analysis, customer));
        if !ranked {
            self.show_all = true;
        }
        if hidden || self.filter_error.is_some() {
            self.filter.clear();
        }
        self.keep_customer = Some(customer);
        self.rebuild_view();
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
        self.keep_customer = None;
        self.scroll_to_selection();
    }
}

/// A batch of narratives for marked customers (`R`): its progress, until the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchView {
    pub request: u64,
    pub total: usize,
    /// Finished, grounded or not (refused ones included).
    pub done: usize,
    /// Refused before sending: the token budget ran out (known when the batch finishes).
    pub refused: usize,
    /// Finished with grounded text.
    pub grounded: usize,
    /// Finished without usable text, counted by why (stalled, rejected by the grounding
    /// check, refused by the token budget, …).
    pub failures: std::collections::BTreeMap<String, usize>,
    pub finished: bool,
    pub cancelled: bool,
}
