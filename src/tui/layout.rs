//! Where each pane goes at a given terminal size. Shared by `view` (drawing) and `state`
//! (how many list rows a page holds), so scrolling and drawing always agree.

use super::basics::{LIST_SHARE_RANGE, Pane};
use ratatui::layout::{Constraint, Direction, Layout, Rect};

/// Below this the explorer shows a "terminal too small" screen.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
/// From this width the list and all detail panes are side by side.
pub const WIDE_WIDTH: u16 = 110;

/// The screen's regions.
pub struct Areas {
    pub header: Rect,
    pub list: Rect,
    /// The detail panes shown, with their areas (one at narrow widths).
    pub panes: Vec<(Pane, Rect)>,
    pub footer: Rect,
}

pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// Lays out the screen; `focus` picks the detail pane shown when only one fits, and the list
/// takes `list_share` percent of the width (side by side) or height (stacked).
pub fn areas(width: u16, height: u16, focus: Pane, list_share: u16) -> Areas {
    let share = list_share.clamp(LIST_SHARE_RANGE.0, LIST_SHARE_RANGE.1);
    let screen = Rect::new(0, 0, width, height);
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(screen);
    if width >= WIDE_WIDTH {
        let [list, right] = Layout::horizontal([
            Constraint::Percentage(share),
            Constraint::Percentage(100 - share),
        ])
        .areas(body);
        let [detail, scores, rationale] = Layout::vertical([
            Constraint::Percentage(48),
            Constraint::Length(9),
            Constraint::Min(5),
        ])
        .areas(right);
        return Areas {
            header,
            list,
            panes: vec![
                (Pane::Detail, detail),
                (Pane::Scores, scores),
                (Pane::Rationale, rationale),
            ],
            footer,
        };
    }
    let [list, below] = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Percentage(share),
            Constraint::Percentage(100 - share),
        ])
        .areas(body);
    let shown = if focus == Pane::List {
        Pane::Detail
    } else {
        focus
    };
    Areas {
        header,
        list,
        panes: vec![(shown, below)],
        footer,
    }
}

/// Customer rows the list shows (its area less borders and the column header).
pub fn list_rows(width: u16, height: u16, list_share: u16) -> usize {
    if too_small(width, height) {
        return 0;
    }
    areas(width, height, Pane::List, list_share)
        .list
        .height
        .saturating_sub(3) as usize
}
