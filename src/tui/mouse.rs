//! Clicks and the wheel, in normal mode: a click on a row selects it, on a header sorts by
//! that column (again: reverses), on a detail pane focuses it; the wheel moves the list, or
//! scrolls the gap detail under the pointer. Positions are mapped through the same layout the
//! view draws with.

use super::columns;
use super::scrolling::scroll_detail_by;
use super::state::{AppState, Mode, Pane};
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

/// Rows the wheel moves the list per notch.
const WHEEL_ROWS: i32 = 3;

pub fn on_mouse(state: &mut AppState, event: MouseEvent) {
    if state.mode != Mode::Normal || state.loaded.is_none() {
        return;
    }
    let areas =
        super::view::layout::areas(state.width, state.height, state.focus, state.list_share);
    let at = Position::new(event.column, event.row);
    let pane_at = areas
        .panes
        .iter()
        .find(|(_, rect)| rect.contains(at))
        .map(|(pane, _)| *pane);
    match event.kind {
        MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
            let down = event.kind == MouseEventKind::ScrollDown;
            if pane_at == Some(Pane::Detail) {
                scroll_detail_by(state, if down { WHEEL_ROWS } else { -WHEEL_ROWS });
            } else if areas.list.contains(at) {
                state.move_selection((if down { WHEEL_ROWS } else { -WHEEL_ROWS }) as isize);
            }
        }
        MouseEventKind::Down(MouseButton::Left) => {
            if areas.list.contains(at) {
                state.focus = Pane::List;
                click_list(state, areas.list, at);
            } else if let Some(pane) = pane_at {
                state.focus = pane;
            }
        }
        _ => {}
    }
}

/// A click inside the list: the header row sorts, a customer row selects.
fn click_list(state: &mut AppState, list: Rect, at: Position) {
    // Inside the border: the header is the first row, customers follow.
    let header_row = list.y + 1;
    if at.y == header_row {
        let x = at.x.saturating_sub(list.x + 1);
        let cells = columns::layout(
            &state.columns,
            super::view::list::id_width(state),
            list.width.saturating_sub(2),
        );
        let Some(sort) = cells
            .iter()
            .find(|(_, start, width)| x >= *start && x < start + width)
            .and_then(|(header, _, _)| columns::sort_of(*header))
        else {
            return;
        };
        if state.sort == sort {
            state.reversed = !state.reversed;
        } else {
            state.sort = sort;
            state.reversed = false;
        }
        state.rebuild_view();
        state.status = Some(format!(
            "sorted by {}{}",
            sort.label(),
            if state.reversed { ", reversed" } else { "" }
        ));
        return;
    }
    if at.y > header_row && at.y < list.bottom().saturating_sub(1) {
        let position = state.offset + usize::from(at.y - header_row - 1);
        if position < state.view.len() {
            state.selected = position;
            state.keep_customer = None;
            state.scroll_to_selection();
        }
    }
}
