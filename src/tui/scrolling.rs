//! Scrolling the gap detail, by keys or the wheel, within the room the view measured for it
//! when it last drew (`AppState::measured`). Shared by `update` for keys and the wheel.

use super::action::Action;
use super::state::AppState;

/// Movement keys scroll the focused gap detail; whether `action` was one.
pub fn scroll_detail(state: &mut AppState, action: Action) -> bool {
    let (room, page) = (state.measured.detail_room, state.measured.detail_page);
    let page = i32::from(page.max(2) - 1);
    let delta = match action {
        Action::MoveUp => -1,
        Action::MoveDown => 1,
        Action::PageUp => -page,
        Action::PageDown => page,
        Action::HalfPageUp => -(page / 2).max(1),
        Action::HalfPageDown => (page / 2).max(1),
        Action::Top => -i32::from(room),
        Action::Bottom => i32::from(room),
        _ => return false,
    };
    scroll_detail_within(state, delta, room);
    true
}

/// Scrolls the gap detail `delta` rows, by keys or the wheel, within its room.
pub fn scroll_detail_by(state: &mut AppState, delta: i32) {
    let room = state.measured.detail_room;
    scroll_detail_within(state, delta, room);
}

fn scroll_detail_within(state: &mut AppState, delta: i32, room: u16) {
    let scrolled = (i32::from(state.detail_scroll.min(room)) + delta).clamp(0, i32::from(room));
    state.detail_scroll = scrolled as u16;
}
