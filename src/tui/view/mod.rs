//! Drawing: a pure function of `AppState` onto a ratatui `Frame`. Only the visible list rows
//! and the selected customer are formatted, whatever the data size.

mod campaigns;
mod changes;
mod chrome;
mod cohorts;
pub mod detail;
pub use super::layout;
pub mod list;
pub mod overlays;
mod pivot;
mod rationale;
mod scores;
pub mod theme;

use super::basics::Measured;
use super::state::{AppState, Mode, Pane};
use crate::engine::CustomerInsight;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, BorderType, Borders};
use theme::Theme;

/// Draws the whole screen; returns what `update` and the mouse need to know of it.
pub fn render(state: &AppState, frame: &mut Frame) -> Measured {
    let area = frame.area();
    let theme = Theme { color: state.color };
    if layout::too_small(area.width, area.height) {
        overlays::too_small(frame, area, theme);
        return Measured::default();
    }
    let areas = layout::areas(area.width, area.height, state.focus, state.list_share);
    chrome::header(state, frame, areas.header, theme);
    list::render(state, frame, areas.list, theme);
    let insight = selected_insight(state);
    for (pane, rect) in &areas.panes {
        let block = pane_block(*pane, state.focus == *pane, theme, areas.panes.len() == 1);
        let inner = framed(frame, *rect, block);
        let insight = insight.as_ref();
        match pane {
            Pane::Detail => detail::render(state, insight, frame, inner, theme),
            Pane::Scores => scores::render(state, insight, frame, inner, theme),
            Pane::Rationale => rationale::render(state, insight, frame, inner, theme),
            Pane::List => {}
        }
    }
    chrome::footer(state, frame, areas.footer, theme);
    match &state.mode {
        Mode::Help(scroll) => overlays::help(state, *scroll, frame, area, theme),
        Mode::FieldHelp(field) => overlays::field_help(state, *field, frame, area, theme),
        Mode::Tuning(form) => overlays::tuning(form, frame, area, theme),
        Mode::Export => overlays::export(state, frame, area, theme),
        Mode::Pivot(table) => pivot::render(state, table, frame, area, theme),
        Mode::Cohorts(view) => {
            let unit = state
                .loaded
                .as_ref()
                .map_or(Default::default(), |l| l.dataset.unit);
            cohorts::render(view, unit, frame, area, theme)
        }
        Mode::Campaigns(view) => campaigns::list(view, frame, area, theme),
        Mode::DraftPreview => campaigns::draft_preview(state, frame, area, theme),
        Mode::WhatChanged => changes::popup(state, frame, area, theme),
        Mode::Columns(cursor) => overlays::columns(state, *cursor, frame, area, theme),
        Mode::Views(popup) => overlays::views(popup, frame, area, theme),
        Mode::Metrics(metrics) => campaigns::metrics(state, metrics, frame, area, theme),
        Mode::Normal
        | Mode::Filter(_)
        | Mode::GoTo(_)
        | Mode::NewCampaign(_)
        | Mode::ConfirmQuit(_) => {}
    }
    if !state.notices.is_empty() {
        overlays::notices(&state.notices, frame, area, theme);
    }
    measure(state, areas.list)
}

/// What this frame shows, measured for input: the gap detail's and the help's scroll room and
/// the list's sortable header cells.
fn measure(state: &AppState, list_area: Rect) -> Measured {
    let (detail_room, detail_page) = detail::scroll_room(state);
    let sort_cells = super::columns::layout(
        &state.columns,
        list::id_width(state),
        list_area.width.saturating_sub(2),
    )
    .into_iter()
    .filter_map(|(header, start, width)| {
        super::columns::sort_of(header).map(|sort| (sort, start, width))
    })
    .collect();
    Measured {
        detail_room,
        detail_page,
        help_room: overlays::help_scroll_room(state),
        sort_cells,
    }
}

/// The selected customer's full insight, rebuilt for this frame only.
fn selected_insight(state: &AppState) -> Option<CustomerInsight> {
    let loaded = state.loaded.as_ref()?;
    let customer = state.selected_customer()?;
    Some(loaded.analysis.insight(&loaded.dataset, customer))
}

/// A pane's frame; the focused one is drawn thick and bold. When one pane stands for all
/// detail panes, its title says how to switch.
pub(super) fn pane_block(pane: Pane, focused: bool, theme: Theme, alone: bool) -> Block<'static> {
    let marker = if focused { "▶ " } else { "" };
    let title = if alone {
        format!(" {marker}{} (Tab: next pane) ", pane.title())
    } else {
        format!(" {marker}{} ", pane.title())
    };
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(if focused {
            theme.focused_border()
        } else {
            theme.border()
        })
        .title(title)
}

/// Draws `block` over `area` and returns the area inside its border.
pub(super) fn framed(frame: &mut Frame, area: Rect, block: Block) -> Rect {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A rectangle of `width` × `height` centred in `area` (clamped to it).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
