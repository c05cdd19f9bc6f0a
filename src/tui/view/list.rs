//! The customer list: a table built from the visible slice of the view only.

use super::theme::Theme;
use crate::tui::state::{AppState, Pane, Phase};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Gauge, Paragraph, Row, Table, TableState, Wrap};

pub fn render(state: &AppState, frame: &mut Frame, area: Rect, theme: Theme) {
    let block = super::pane_block(Pane::List, state.focus == Pane::List, theme, false);
    let Some(loaded) = &state.loaded else {
        let inner = super::framed(frame, area, block);
        match &state.phase {
            Phase::Failed(message) => {
                let text = vec![
                    Line::from(Span::styled("Could not load the data:", theme.error())),
                    Line::from(message.clone()),
                    Line::from(""),
                    Line::from("Press q to quit."),
                ];
                frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
            }
            Phase::Working { progress, what } => {
                let gauge_area = Rect::new(
                    inner.x,
                    inner.y + inner.height / 2,
                    inner.width,
                    1.min(inner.height),
                );
                let gauge = Gauge::default()
                    .ratio(progress.clamp(0.0, 1.0))
                    .label(format!("{what}… {:.0}%", progress * 100.0))
                    .gauge_style(theme.title());
                frame.render_widget(gauge, gauge_area);
            }
            Phase::Ready => {}
        }
        return;
    };
    let (dataset, analysis) = (&*loaded.dataset, &*loaded.analysis);
    let rows_shown = state.list_rows();
    let end = (state.offset + rows_shown).min(state.view.len());
    let rows: Vec<Row> = state.view[state.offset..end]
        .iter()
        .enumerate()
        .map(|(row, customer)| {
            let found = state
                .found
                .binary_search(&((state.offset + row) as u32))
                .is_ok();
            let score = &analysis.scores[*customer as usize];
            let gap = score.primary.map_or("-", |g| short_gap(g.key()));
            let severity = score
                .primary_severity
                .map_or("-", |s| short_severity(s.key()));
            Row::new(vec![
                Cell::from(format!(
                    "{}{}{}{}",
                    if found { "▸" } else { "" },
                    state
                        .changes
                        .as_ref()
                        .map_or("", |marks| marks.of(*customer as usize).glyph()),
                    if state.marked.contains(customer) {
                        "●"
                    } else {
                        ""
                    },
                    if score.rank == 0 {
                        "-".to_string()
                    } else {
                        score.rank.to_string()
                    }
                )),
                Cell::from(dataset.customer_ids[*customer as usize].to_string()),
                Cell::from(format!("{:.2}", score.priority)),
                Cell::from(gap),
                Cell::from(Span::styled(
                    severity,
                    theme.severity(score.primary_severity),
                )),
                Cell::from(Span::styled(
                    dataset.unit.amount(score.gap_size),
                    theme.money_lost(),
                )),
                Cell::from(format!(
                    "{:>3.0}%",
                    analysis.churn_probability(*customer as usize) * 100.0
                )),
            ])
        })
        .collect();
    if state.view.is_empty() {
        let inner = super::framed(frame, area, block);
        let message = if state.filter.is_empty() {
            "No customer has a revenue gap."
        } else {
            "No customer matches the filter (x clears it)."
        };
        frame.render_widget(Paragraph::new(message), inner);
        return;
    }
    let header =
        Row::new(["#", "id", "score", "gap", "sev", "gap $/wk", "churn"]).style(theme.title());
    let id_width = state.view[state.offset..end]
        .iter()
        .map(|c| dataset.customer_ids[*c as usize].chars().count())
        .max()
        .unwrap_or(2)
        .clamp(4, 14) as u16;
    let widths = [
        Constraint::Length(6),
        Constraint::Length(id_width),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(10),
        Constraint::Length(5),
    ];
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selection())
        .highlight_symbol("> ");
    let mut table_state = TableState::default().with_selected(Some(state.selected - state.offset));
    frame.render_stateful_widget(table, area, &mut table_state);
}

fn short_gap(key: &str) -> &'static str {
    match key {
        "declining_revenue" => "declining",
        "below_baseline" => "below",
        "zero_spend" => "zero",
        _ => "?",
    }
}

fn short_severity(key: &str) -> &'static str {
    match key {
        "high" => "HIGH",
        "medium" => "med",
        _ => "low",
    }
}
