//! The customer list: a table built from the visible slice of the view only.

use super::theme::Theme;
use crate::tui::columns::{self, Header, ListColumn};
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
    let rows_shown = state.list_rows();
    let end = (state.offset + rows_shown).min(state.view.len());
    let visible = &state.view[state.offset..end];
    let cells = columns::layout(
        &state.columns,
        id_width(state),
        area.width.saturating_sub(2),
    );
    let id_cell = cells
        .iter()
        .find(|(header, _, _)| *header == Header::Id)
        .map_or(0, |(_, _, width)| *width as usize);
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .map(|(row, customer)| {
            let customer = *customer as usize;
            let found = state
                .found
                .binary_search(&((state.offset + row) as u32))
                .is_ok();
            cells
                .iter()
                .map(|(header, _, _)| match header {
                    Header::Rank => rank_cell(state, customer, found),
                    Header::Id => Cell::from(
                        crate::text::cut_to(&dataset.customer_ids[customer], id_cell).into_owned(),
                    ),
                    Header::Column(column) => cell(*column, dataset, analysis, customer, theme),
                })
                .collect::<Row>()
        })
        .collect();
    let arrow = state.sort.arrow(state.reversed);
    let header = cells
        .iter()
        .map(|(header, _, width)| {
            let title = match header {
                Header::Rank => "#",
                Header::Id => "id",
                Header::Column(column) => column.header(),
            };
            // The sorted column carries the arrow (rank when sorted by rank).
            if columns::sort_of(*header) == Some(state.sort)
                && !matches!(header, Header::Column(ListColumn::Score))
            {
                // The arrow always shows: a title as wide as its column gives up its end.
                let room = usize::from(*width).saturating_sub(1);
                let title: String = title.chars().take(room).collect();
                Cell::from(format!("{title}{arrow}"))
            } else {
                Cell::from(title)
            }
        })
        .collect::<Row>()
        .style(theme.title());
    let widths: Vec<Constraint> = cells
        .iter()
        .map(|(_, _, w)| Constraint::Length(*w))
        .collect();
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(columns::SPACING)
        .row_highlight_style(theme.selection())
        .highlight_symbol("> ");
    let mut table_state = TableState::default().with_selected(Some(state.selected - state.offset));
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The id column's width: the widest id on screen, within bounds.
pub fn id_width(state: &AppState) -> u16 {
    let Some(loaded) = &state.loaded else {
        return 4;
    };
    let end = (state.offset + state.list_rows()).min(state.view.len());
    state.view[state.offset.min(end)..end]
        .iter()
        .map(|c| loaded.dataset.customer_ids[*c as usize].chars().count())
        .max()
        .unwrap_or(2)
        .clamp(4, 14) as u16
}

/// Rank, with the glyphs of a found row, a change since the last results, and a mark.
fn rank_cell(state: &AppState, customer: usize, found: bool) -> Cell<'static> {
    let rank = match state
        .loaded
        .as_ref()
        .map(|l| l.analysis.scores[customer].rank)
    {
        Some(0) | None => "-".to_string(),
        Some(rank) => rank.to_string(),
    };
    Cell::from(format!(
        "{}{}{}{rank}",
        if found { "▸" } else { "" },
        state
            .changes
            .as_ref()
            .map_or("", |marks| marks.of(customer).glyph()),
        if state.marked.contains(&(customer as u32)) {
            "●"
        } else {
            ""
        },
    ))
}

fn cell(
    column: ListColumn,
    dataset: &crate::data::Dataset,
    analysis: &crate::engine::Analysis,
    customer: usize,
    theme: Theme,
) -> Cell<'static> {
    let score = &analysis.scores[customer];
    let segment = |dimension: &crate::segment::Dimension| {
        analysis
            .segments
            .get(dimension)
            .map_or("-".to_string(), |labels| {
                super::overlays::printable(labels.of(customer))
            })
    };
    match column {
        ListColumn::Score => Cell::from(format!("{:.2}", score.priority)),
        ListColumn::GapType => Cell::from(score.primary.map_or("-", |g| short_gap(g.key()))),
        ListColumn::Severity => Cell::from(Span::styled(
            score
                .primary_severity
                .map_or("-", |s| short_severity(s.key())),
            theme.severity(score.primary_severity),
        )),
        ListColumn::GapAmount => Cell::from(Span::styled(
            dataset.unit.amount(score.gap_size),
            theme.money_lost(),
        )),
        ListColumn::Churn => Cell::from(format!(
            "{:>3.0}%",
            analysis.churn_probability(customer) * 100.0
        )),
        ListColumn::Potential => Cell::from(dataset.unit.amount(score.potential_revenue)),
        ListColumn::Revenue => Cell::from(dataset.unit.amount(score.total_revenue)),
        ListColumn::LastBuy => Cell::from(format!("{} wk", score.weeks_since_last_purchase)),
        ListColumn::ValueTier => Cell::from(segment(&crate::segment::Dimension::ValueTier)),
        ListColumn::Lifecycle => Cell::from(segment(&crate::segment::Dimension::Lifecycle)),
    }
}

fn short_gap(key: &str) -> &'static str {
    match key {
        "declining_revenue" => "declining",
        "below_baseline" => "below",
        "zero_spend" => "zero",
        "below_peers" => "peers",
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
