//! Clicks and the wheel, in normal mode, turned into [`Pointer`] actions (data) for `update`
//! to apply: a click on a row selects it, on a header sorts by that column (again: reverses),
//! on a detail pane focuses it; the wheel moves the list, or scrolls the gap detail under the
//! pointer. Positions are mapped through the layout the view draws with and the header cells
//! it measured (`AppState::measured`); nothing here changes the state.

use super::state::{AppState, Mode, Pane, SortColumn};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Rows the wheel moves the list per notch.
const WHEEL_ROWS: i32 = 3;

/// What a click or a wheel notch asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    /// Scroll the gap detail by rows (down when positive).
    ScrollDetail(i32),
    /// Move the list's selection by rows (down when positive).
    MoveSelection(isize),
    /// Focus the list and select the customer at this position of the list.
    SelectRow(usize),
    /// Focus the list and sort by this column (reversed when it is the sort already).
    SortBy(SortColumn),
    Focus(Pane),
}

/// The action of `event` on the screen `state` shows; `None` when it asks for nothing.
pub fn pointer_action(state: &AppState, event: MouseEvent) -> Option<Pointer> {
    if state.mode != Mode::Normal || state.loaded.is_none() {
        return None;
    }
    let areas = super::layout::areas(state.width, state.height, state.focus, state.list_share);
    let at = Position::new(event.column, event.row);
    let pane_at = areas
        .panes
        .iter()
        .find(|(_, rect)| rect.contains(at))
        .map(|(pane, _)| *pane);
    match event.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let rows = if event.kind == MouseEventKind::ScrollDown {
                WHEEL_ROWS
            } else {
                -WHEEL_ROWS
            };
            if pane_at == Some(Pane::Detail) {
                Some(Pointer::ScrollDetail(rows))
            } else if areas.list.contains(at) {
                Some(Pointer::MoveSelection(rows as isize))
            } else {
                None
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if areas.list.contains(at) {
                click_list(state, areas.list, at)
            } else {
                pane_at.map(Pointer::Focus)
            }
        }
        _ => None,
    }
}

/// A click inside the list: the header row sorts, a customer row selects; elsewhere in the
/// list it only focuses it.
fn click_list(state: &AppState, list: Rect, at: Position) -> Option<Pointer> {
    // Inside the border: the header is the first row, customers follow.
    let header_row = list.y + 1;
    if at.y == header_row {
        let x = at.x.saturating_sub(list.x + 1);
        return Some(
            state
                .measured
                .sort_cells
                .iter()
                .find(|(_, start, width)| x >= *start && x < start + width)
                .map_or(Pointer::Focus(Pane::List), |(sort, _, _)| {
                    Pointer::SortBy(*sort)
                }),
        );
    }
    if at.y > header_row && at.y < list.bottom().saturating_sub(1) {
        let position = state.offset + usize::from(at.y - header_row - 1);
        if position < state.view.len() {
            return Some(Pointer::SelectRow(position));
        }
    }
    Some(Pointer::Focus(Pane::List))
}
