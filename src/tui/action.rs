//! What a key can ask the explorer to do. Actions are data: the keymap maps keys to them,
//! `update` interprets them, and the help overlay describes them.

use serde::{Deserialize, Serialize};

/// A user action in the explorer's normal mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Back,
    FieldHelp,
    GenerateMarked,
    ToggleWeeklyTable,
    WhatChanged,
    Columns,
    ShrinkList,
    GrowList,
    Views,
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    FocusNext,
    FocusPrevious,
    FocusDetail,
    Filter,
    ClearFilter,
    SortNext,
    SortReverse,
    ToggleHelp,
    OpenSettings,
    Export,
    Generate,
    CancelGeneration,
    Suspend,
    Pivot,
    Cohorts,
    GoTo,
    NextMatch,
    PreviousMatch,
    ToggleAll,
    CopyId,
    CopyRationale,
    ToggleMark,
    MarkAll,
    NewCampaign,
    Campaigns,
    DraftPreview,
    Metrics,
}

impl Action {
    /// The text the help overlay shows.
    pub fn description(self) -> &'static str {
        match self {
            Self::Quit => "quit (asks once when marked customers or a running batch would be lost)",
            Self::Back => "close what is open, back to the list (never quits)",
            Self::FieldHelp => {
                "what a field means and how this customer's value came about (? again: all keys)"
            }
            Self::GenerateMarked => {
                "generate LLM rationales for the marked customers (budget and cache as analyze --llm; c cancels)"
            }
            Self::ToggleWeeklyTable => "gap detail: chart / table of the weekly values",
            Self::Columns => "choose the list's columns (Space toggles)",
            Self::ShrinkList => "narrow the list pane",
            Self::GrowList => "widen the list pane",
            Self::Views => "named views: save the current one, recall or delete",
            Self::WhatChanged => {
                "what changed since the results last changed (+ new, ▲ worsened, ✓ recovered)"
            }
            Self::MoveUp => "previous customer (gap detail focused: scroll up)",
            Self::MoveDown => "next customer (gap detail focused: scroll down)",
            Self::PageUp => "page up (or the gap detail's page)",
            Self::PageDown => "page down (or the gap detail's page)",
            Self::HalfPageUp => "half a page up",
            Self::HalfPageDown => "half a page down",
            Self::Top => "first customer",
            Self::Bottom => "last customer",
            Self::FocusNext => "next pane",
            Self::FocusPrevious => "previous pane",
            Self::FocusDetail => "focus the gap detail",
            Self::Filter => "filter (id, gap type, severity, attributes, segments; dim:label)",
            Self::ClearFilter => "clear the filter",
            Self::SortNext => "sort by the next column",
            Self::SortReverse => "reverse the sort",
            Self::ToggleHelp => "show / hide this help",
            Self::OpenSettings => "tune thresholds and weights",
            Self::Export => "export the current view",
            Self::Generate => "generate an LLM rationale for the selected customer",
            Self::CancelGeneration => "cancel the LLM request or batch",
            Self::Suspend => "suspend (resume with fg)",
            Self::Pivot => {
                "pivot by segment (Tab: dimension, Enter: show its customers, Esc: back)"
            }
            Self::GoTo => "go to a customer by id (with or without a gap)",
            Self::NextMatch => "next row the filter matches (Tab while typing: find, not narrow)",
            Self::PreviousMatch => "previous row the filter matches",
            Self::ToggleAll => "list all customers / only those with a gap",
            Self::CopyId => "copy the selected id (OSC 52: works over SSH)",
            Self::CopyRationale => "copy the selected customer's rationale",
            Self::ToggleMark => "mark / unmark the selected customer",
            Self::MarkAll => "mark every listed customer (again: unmark all)",
            Self::NewCampaign => {
                "make a campaign from the marked customers (none marked: the listed ones)"
            }
            Self::Campaigns => {
                "campaigns in the ledger; Enter opens one (members, delivery, drafts, measured result; e exports it)"
            }
            Self::DraftPreview => "the selected customer's drafts and the checker's verdict",
            Self::Metrics => "success metrics across measured campaigns",
            Self::Cohorts => {
                "cohort heatmap (Tab: week/month/quarter, v: retention/revenue, arrows scroll)"
            }
        }
    }

    /// A one-word hint for the footer, for the actions worth a hint there.
    pub fn hint(self) -> Option<&'static str> {
        match self {
            Self::Quit => Some("quit"),
            Self::Filter => Some("filter"),
            Self::SortNext => Some("sort"),
            Self::FocusNext => Some("pane"),
            Self::OpenSettings => Some("tune"),
            Self::Export => Some("export"),
            Self::Generate => Some("llm"),
            Self::FieldHelp => Some("explain"),
            Self::ToggleHelp => Some("keys"),
            _ => None,
        }
    }
}
