//! Popups and full-screen notices: help (generated from the keymap), tuning, export,
//! configuration problems, and "terminal too small".

use super::theme::Theme;
use super::{centered, layout};
use crate::tui::action::Action;
use crate::tui::state::AppState;
use crate::tui::tuning::{FIELDS, TuningForm};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Text safe to put on a terminal: control and escape characters become U+FFFD.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

pub(super) fn popup(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line>, theme: Theme) {
    let width = lines.iter().map(Line::width).max().unwrap_or(10) as u16 + 4;
    let height = lines.len() as u16 + 2;
    let rect = centered(area, width.max(title.len() as u16 + 6), height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(format!(" {title} "));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

/// The help's lines: every binding, grouped by action in table order, then the popups' keys.
fn help_lines(state: &AppState, theme: Theme) -> Vec<Line<'static>> {
    let mut actions: Vec<Action> = Vec::new();
    for (_, action) in state.keymap.bindings() {
        if !actions.contains(action) {
            actions.push(*action);
        }
    }
    let mut lines: Vec<Line> = actions
        .iter()
        .map(|action| {
            let keys = state
                .keymap
                .keys_for(*action)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Line::from(vec![
                Span::styled(format!("{keys:<18}"), theme.key()),
                Span::raw(action.description()),
            ])
        })
        .collect();
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "filter: type, Enter keep, Esc clear, Tab find instead · tune: j/k field, h/l change, r defaults, Enter apply",
        theme.dim(),
    )));
    lines
}

/// How far the help can scroll at the current size (0 when it fits).
pub fn help_scroll_room(state: &AppState) -> u16 {
    let lines = help_lines(state, Theme { color: false }).len() as u16;
    (lines + 2).saturating_sub(state.height)
}

/// The help popup, scrolled down `scroll` rows when it is taller than the screen.
pub fn help(state: &AppState, scroll: u16, frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = help_lines(state, theme);
    let total = lines.len() as u16;
    let room = (total + 2).saturating_sub(area.height);
    let scroll = scroll.min(room);
    let title = if room > 0 {
        format!(
            "Keys, rows {}–{} of {} (j/k scroll, any other key closes)",
            scroll + 1,
            (scroll + area.height.saturating_sub(2)).min(total),
            total
        )
    } else {
        "Keys (any key closes)".to_string()
    };
    let visible: Vec<Line> = lines.into_iter().skip(scroll as usize).collect();
    popup(frame, area, &title, visible, theme);
}

pub fn tuning(form: &TuningForm, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines: Vec<Line> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let value = field.value(&form.draft);
            let shown = if field.step >= 1.0 {
                format!("{value:.0}")
            } else {
                format!("{value:.2}")
            };
            let text = format!("{:<30}{shown:>8}", field.label);
            if i == form.cursor {
                Line::from(Span::styled(format!("> {text}"), theme.selection()))
            } else {
                Line::from(format!("  {text}"))
            }
        })
        .collect();
    lines.push(Line::from(""));
    if let Some(error) = &form.error {
        lines.push(Line::from(Span::styled(error.clone(), theme.error())));
    }
    lines.push(Line::from(Span::styled(
        "j/k field · h/l change · r defaults · Enter apply · Esc cancel",
        theme.dim(),
    )));
    popup(frame, area, "Tune thresholds and weights", lines, theme);
}

pub fn export(state: &AppState, frame: &mut Frame, area: Rect, theme: Theme) {
    let what = if state.marked.is_empty() {
        format!(
            "the current view ({} rows, filter and sort)",
            state.view.len()
        )
    } else {
        format!("the {} marked customers", state.marked.len())
    };
    let lines = vec![
        Line::from(format!("Write {what} as:")),
        Line::from(vec![
            Span::styled("c", theme.key()),
            Span::raw(" CSV   "),
            Span::styled("j", theme.key()),
            Span::raw(" JSON   "),
            Span::styled("m", theme.key()),
            Span::raw(" markdown report   "),
            Span::styled("p", theme.key()),
            Span::raw(" Parquet"),
        ]),
        Line::from(Span::styled(
            "with every attribute, generated texts, and a .settings.toml of what produced it",
            theme.dim(),
        )),
        Line::from(Span::styled("Esc cancel", theme.dim())),
    ];
    popup(frame, area, "Export", lines, theme);
}

pub fn notices(notices: &[String], frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines: Vec<Line> = notices
        .iter()
        .map(|n| Line::from(Span::styled(printable(n), theme.error())))
        .collect();
    lines.push(Line::from(Span::styled("any key continues", theme.dim())));
    let width = area.width.saturating_sub(4);
    let rect = Rect::new(
        area.x + 2,
        area.y + 1,
        width,
        (lines.len() as u16 + 2).min(area.height),
    );
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Configuration ");
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

pub fn too_small(frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = vec![
        Line::from(Span::styled("Terminal too small", theme.error())),
        Line::from(format!(
            "{}×{} here; revgap needs at least {}×{}.",
            area.width,
            area.height,
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

/// The columns popup: every column, ticked when shown.
pub fn columns(state: &AppState, cursor: usize, frame: &mut Frame, area: Rect, theme: Theme) {
    use crate::tui::columns::ListColumn;
    let lines: Vec<Line> = ListColumn::ALL
        .iter()
        .enumerate()
        .map(|(at, column)| {
            let tick = if state.columns.contains(column) {
                "[x]"
            } else {
                "[ ]"
            };
            let text = format!("{tick} {:<10} {}", column.header(), column.description());
            if at == cursor {
                Line::from(Span::styled(format!("> {text}"), theme.selection()))
            } else {
                Line::from(format!("  {text}"))
            }
        })
        .collect();
    let mut lines = lines;
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Columns that do not fit are left out: < and > resize the list pane.",
        theme.dim(),
    )));
    popup(
        frame,
        area,
        "Columns (j/k move, Space toggles, any other key closes)",
        lines,
        theme,
    );
}

/// The named-views popup.
pub fn views(
    popup_state: &crate::tui::remember::ViewsPopup,
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
) {
    let mut lines: Vec<Line> = Vec::new();
    if let Some(problem) = &popup_state.problem {
        lines.push(Line::from(Span::styled(printable(problem), theme.error())));
    }
    if popup_state.names.is_empty() {
        lines.push(Line::from(Span::styled("No saved views yet.", theme.dim())));
    }
    for (at, (name, summary)) in popup_state.names.iter().enumerate() {
        let text = format!("{:<16} {}", printable(name), printable(summary));
        lines.push(
            if at == popup_state.cursor && popup_state.typing.is_none() {
                Line::from(Span::styled(format!("> {text}"), theme.selection()))
            } else {
                Line::from(format!("  {text}"))
            },
        );
    }
    lines.push(Line::from(""));
    lines.push(match &popup_state.typing {
        Some(name) => Line::from(vec![
            Span::styled("save the current view as: ", theme.key()),
            Span::raw(printable(name)),
            Span::styled("█", theme.dim()),
        ]),
        None => Line::from(Span::styled(
            "s save the current view · Enter recall · d delete · Esc close",
            theme.dim(),
        )),
    });
    popup(frame, area, "Views", lines, theme);
}

/// `?`: the fields as tabs, the highlighted one's meaning and the selected customer's value.
pub fn field_help(
    state: &AppState,
    field: crate::tui::field_help::Field,
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
) {
    use crate::tui::field_help::{Field, explain};
    let mut tabs = Vec::new();
    for each in Field::ORDER {
        let style = if each == field {
            theme.selection()
        } else {
            theme.dim()
        };
        tabs.push(Span::styled(format!(" {} ", each.title()), style));
    }
    let width = area.width.saturating_sub(8).min(100);
    let rect = centered(area, width + 4, area.height.saturating_sub(4).min(20));
    frame.render_widget(Clear, rect);
    let mut lines = vec![Line::from(tabs), Line::from("")];
    for paragraph in explain(state, field) {
        lines.push(Line::from(printable(&paragraph)));
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        "Tab/j next field · k previous · ? all keys · any other key closes",
        theme.dim(),
    )));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(" What this means ");
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        rect,
    );
}
