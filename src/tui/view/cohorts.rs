//! The cohort heatmap, drawn over the main screen: a colour scale on the cell background and
//! the value in every cell, so it reads the same with NO_COLOR.

use super::theme::Theme;
use crate::report::format::count;
use crate::report::segments::CohortMetric;
use crate::segment::cohort::Period;
use crate::tui::cohorts::CohortView;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

const CELL: usize = 7;
const LABEL: usize = 16;

pub fn render(
    view: &CohortView,
    unit: crate::text::ValueUnit,
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
) {
    let rect = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    frame.render_widget(Clear, rect);
    let period = match view.period {
        Period::Week => "week",
        Period::Month => "month",
        Period::Quarter => "quarter",
    };
    let what = match view.metric {
        CohortMetric::Retention => "share still buying",
        CohortMetric::Revenue => "revenue per member",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(format!(" Cohorts by first-purchase {period} · {what} "));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines: Vec<Line> = Vec::new();
    let Some(table) = &view.table else {
        lines.push(Line::from("computing cohorts…"));
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    };
    let columns = (inner.width as usize).saturating_sub(LABEL) / CELL;
    let widest = table.periods();
    let shown: Vec<usize> = (view.first_column..widest).take(columns).collect();
    let mut header = vec![Span::styled(
        format!("{:<LABEL$}", "cohort (size)"),
        theme.title(),
    )];
    for since in &shown {
        header.push(Span::styled(
            format!("{:>CELL$}", format!("+{since}")),
            theme.title(),
        ));
    }
    lines.push(Line::from(header));
    let largest_revenue = table
        .cohorts
        .iter()
        .flat_map(|c| c.revenue_per_member.iter().copied())
        .fold(0.0f64, f64::max);
    let rows = (inner.height as usize).saturating_sub(2);
    for cohort in table.cohorts.iter().skip(view.first_row).take(rows) {
        let label = format!("{} ({})", cohort.cohort, count(cohort.size));
        let mut spans = vec![Span::raw(format!("{label:<LABEL$.LABEL$}"))];
        for since in &shown {
            let (text, level) = match view.metric {
                CohortMetric::Retention => match cohort.active_share.get(*since) {
                    Some(share) => (format!("{:.0}%", 100.0 * share), *share),
                    None => (String::new(), 0.0),
                },
                CohortMetric::Revenue => match cohort.revenue_per_member.get(*since) {
                    Some(revenue) => (
                        compact(unit, *revenue),
                        if largest_revenue > 0.0 {
                            revenue / largest_revenue
                        } else {
                            0.0
                        },
                    ),
                    None => (String::new(), 0.0),
                },
            };
            let style = if text.is_empty() {
                Style::default()
            } else {
                heat(level, theme)
            };
            // One space always separates neighbouring values, however wide a value is.
            let text = crate::text::cut_to(&text, CELL - 1);
            spans.push(Span::raw(" "));
            spans.push(Span::styled(
                format!("{text:>width$}", width = CELL - 1),
                style,
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(vec![
        Span::styled("Tab", theme.key()),
        Span::raw(" period  "),
        Span::styled("v", theme.key()),
        Span::raw(" retention/revenue  "),
        Span::styled("←→↑↓", theme.key()),
        Span::raw(" scroll  "),
        Span::styled("Esc", theme.key()),
        Span::raw(" back"),
    ]));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// An amount in a cell's width (`CELL - 1`): whole currency units (`$450.64` → `$451`),
/// thousands as `k` beyond that (`$12,345` → `$12k`); purchases to one decimal.
fn compact(unit: crate::text::ValueUnit, value: f64) -> String {
    match unit {
        crate::text::ValueUnit::Currency => {
            let whole = crate::text::money(value.round());
            let whole = whole.strip_suffix(".00").unwrap_or(&whole).to_string();
            if whole.chars().count() < CELL {
                whole
            } else {
                let thousands = crate::text::money((value / 1000.0).round());
                format!("{}k", thousands.strip_suffix(".00").unwrap_or(&thousands))
            }
        }
        crate::text::ValueUnit::Purchases => format!("{value:.1}"),
    }
}

/// A background from cool to warm by `level` (0–1); plain without colour.
fn heat(level: f64, theme: Theme) -> Style {
    if !theme.color {
        return Style::default();
    }
    let level = level.clamp(0.0, 1.0);
    let red = (40.0 + 200.0 * level) as u8;
    let blue = (120.0 - 100.0 * level) as u8;
    Style::default()
        .bg(Color::Rgb(red, 40, blue))
        .fg(Color::White)
}
