//! The pivot table: one row per segment of a dimension, drawn over the main screen.

use super::overlays::printable;
use super::theme::Theme;
use crate::report::format::count;
use crate::tui::pivot::PivotState;
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState};

pub fn render(state: &AppState, pivot: &PivotState, frame: &mut Frame, area: Rect, theme: Theme) {
    let Some(loaded) = &state.loaded else { return };
    let unit = loaded.dataset.unit;
    let dimension = pivot.dimension_key(state);
    let width = area.width.saturating_sub(4).min(100);
    let height = (pivot.rows.len() as u16 + 5).min(area.height.saturating_sub(2));
    let rect = super::centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(format!(" Pivot: {} ", dimension.replace('_', " ")));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if inner.height < 3 {
        return;
    }
    let header = Row::new([
        "segment",
        "customers",
        "share",
        "with gaps",
        "gap $/wk",
        "churn risk",
    ])
    .style(theme.title());
    let total = pivot.customers.max(1) as f64;
    let rows = pivot.rows.iter().enumerate().map(|(i, row)| {
        let marker = if i == pivot.selected { "> " } else { "  " };
        Row::new(vec![
            Cell::from(format!("{marker}{}", printable(&row.key[dimension]))),
            Cell::from(count(row.customers)),
            Cell::from(format!("{:.1}%", 100.0 * row.customers as f64 / total)),
            Cell::from(count(row.customers_with_gaps)),
            Cell::from(Span::styled(
                unit.amount(row.revenue_gap),
                theme.money_lost(),
            )),
            Cell::from(count(row.churn_risk_customers)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Fill(3),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(10),
            Constraint::Length(13),
            Constraint::Length(10),
        ],
    )
    .header(header)
    .row_highlight_style(theme.selection());
    let table_area = Rect {
        height: inner.height - 1,
        ..inner
    };
    let mut table_state = TableState::default().with_selected(Some(pivot.selected));
    frame.render_stateful_widget(table, table_area, &mut table_state);
    let hint = Line::from(vec![
        Span::styled("Tab", theme.key()),
        Span::raw(" dimension  "),
        Span::styled("Enter", theme.key()),
        Span::raw(" show customers  "),
        Span::styled("Esc", theme.key()),
        Span::raw(" back"),
    ]);
    let hint_area = Rect {
        y: inner.y + inner.height - 1,
        height: 1,
        ..inner
    };
    frame.render_widget(Paragraph::new(hint), hint_area);
}
