//! The gap detail: the selected customer's facts, secondary gaps, opportunity, and a chart of
//! weekly spend against the baseline and recent averages (or the table of those values),
//! laid out by priority and scrolled as one page when the pane has focus.

use super::theme::Theme;
use crate::engine::CustomerInsight;
use crate::tui::state::AppState;
use crate::tui::state::Pane;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Cell, Chart, Dataset, GraphType, Paragraph, Row, Table, Widget, Wrap,
};

/// The pane's content, one part under another, scrolled as a whole when the pane has focus.
/// Parts come in priority order: who, the primary gap, the opportunity and next step; then
/// the chart (or the weekly table) and the other facts, the chart first when both do not fit,
/// so at 80×24 the pane opens on what matters and the rest is a scroll away.
enum Part {
    Text(Box<Paragraph<'static>>, u16),
    Chart(u16),
    Table(u16),
}

impl Part {
    fn height(&self) -> u16 {
        match self {
            Self::Text(_, height) | Self::Chart(height) | Self::Table(height) => *height,
        }
    }
}

/// A chart is drawn only this tall or taller (three rows of plot, its axis and labels).
const CHART_MIN_ROWS: u16 = 5;

fn text(lines: Vec<Line<'static>>, width: u16) -> Part {
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: true });
    let height = paragraph.line_count(width.max(1)) as u16;
    Part::Text(Box::new(paragraph), height)
}

fn parts(
    state: &AppState,
    insight: &CustomerInsight,
    width: u16,
    height: u16,
    theme: Theme,
) -> Vec<Part> {
    let (first, rest) = facts(state, insight, theme);
    let first = text(first, width);
    let rest = text(rest, width);
    let weeks = state
        .loaded
        .as_ref()
        .map_or(0, |l| l.dataset.weeks_of(insight.customer).len()) as u16;
    if state.weekly_table {
        // Asked for, so it comes straight after what must be seen; it is read by scrolling.
        return vec![first, Part::Table(weeks + 1), rest];
    }
    let spare = height.saturating_sub(first.height() + rest.height());
    if spare >= CHART_MIN_ROWS + 2 {
        return vec![first, rest, Part::Chart(spare)];
    }
    // The chart takes what the first lines leave, or a readable height a scroll away.
    let left = height.saturating_sub(first.height());
    let chart = if left >= CHART_MIN_ROWS {
        left
    } else {
        CHART_MIN_ROWS + 2
    };
    vec![first, Part::Chart(chart), rest]
}

/// How far the pane can scroll at the current size (0 when it all fits), and its height.
pub fn scroll_room(state: &AppState) -> (u16, u16) {
    let Some(area) = super::layout::areas(state.width, state.height, state.focus, state.list_share)
        .panes
        .into_iter()
        .find(|(pane, _)| *pane == Pane::Detail)
        .map(|(_, area)| area)
    else {
        return (0, 0);
    };
    let inner = Rect::new(
        0,
        0,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    );
    let (Some(loaded), Some(customer)) = (&state.loaded, state.selected_customer()) else {
        return (0, inner.height);
    };
    let insight = loaded.analysis.insight(&loaded.dataset, customer);
    let total: u16 = parts(
        state,
        &insight,
        inner.width,
        inner.height,
        Theme { color: false },
    )
    .iter()
    .map(Part::height)
    .sum();
    (total.saturating_sub(inner.height), inner.height)
}

pub fn render(
    state: &AppState,
    insight: Option<&CustomerInsight>,
    frame: &mut Frame,
    inner: Rect,
    theme: Theme,
) {
    let (Some(insight), Some(loaded)) = (insight, &state.loaded) else {
        frame.render_widget(Paragraph::new("No customer selected."), inner);
        return;
    };
    let dataset = &*loaded.dataset;
    let parts = parts(state, insight, inner.width, inner.height, theme);
    let total: u16 = parts.iter().map(Part::height).sum();
    let scroll = state.detail_scroll.min(total.saturating_sub(inner.height));
    // Drawn whole off screen, then the visible rows are copied: a chart or table can be cut
    // anywhere by the scroll, as text can.
    let mut page = Buffer::empty(Rect::new(0, 0, inner.width, total.max(1)));
    let mut top = 0;
    for part in parts {
        let area = Rect::new(0, top, inner.width, part.height());
        top += part.height();
        match part {
            Part::Text(paragraph, _) => paragraph.render(area, &mut page),
            Part::Chart(_) => chart(state, insight, dataset, &mut page, area, theme),
            Part::Table(_) => weekly_table(state, insight, dataset, &mut page, area, theme),
        }
    }
    let screen = frame.buffer_mut();
    for row in 0..inner.height.min(total.saturating_sub(scroll)) {
        for column in 0..inner.width {
            screen[(inner.x + column, inner.y + row)] = page[(column, scroll + row)].clone();
        }
    }
    if total > inner.height && inner.bottom() < screen.area.bottom() {
        // Which rows are shown, on the pane's bottom border.
        let more = format!(
            " rows {}–{} of {} ",
            scroll + 1,
            (scroll + inner.height).min(total),
            total
        );
        let x = inner
            .right()
            .saturating_sub(more.chars().count() as u16 + 1);
        screen.set_string(x.max(inner.x), inner.bottom(), more, theme.dim());
    }
}

/// The pane's text: what must be seen first (who, the primary gap, the opportunity and next
/// step, campaigns they are in), and the rest (averages, forecast, segments, campaigns, other signals, legend).
fn facts(
    state: &AppState,
    insight: &CustomerInsight,
    theme: Theme,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let Some(loaded) = &state.loaded else {
        return Default::default();
    };
    let dataset = &*loaded.dataset;
    let profile = &insight.profile;
    let mut who = vec![Span::styled(
        format!("Customer {}", &dataset.customer_ids[insight.customer]),
        theme.title(),
    )];
    match dataset.profiles[insight.customer].as_ref() {
        Some(attributes) => {
            if let Some(age) = attributes.age {
                who.push(Span::raw(format!(" · age {age}")));
            }
            who.push(Span::raw(match attributes.loyalty_member {
                Some(true) => " · member",
                Some(false) => " · non-member",
                None => " · loyalty unknown",
            }));
            if let Some(size) = attributes.household_size {
                who.push(Span::raw(format!(" · household {size}")));
            }
            for value in attributes.extra.iter().filter(|v| !v.is_empty()) {
                who.push(Span::raw(format!(
                    " · {}",
                    super::overlays::printable(value)
                )));
            }
        }
        None => who.push(Span::styled(" · attributes unknown", theme.dim())),
    }
    let mut first = vec![Line::from(who)];
    match &insight.primary_gap {
        Some(gap) => first.push(Line::from(vec![
            Span::raw("Primary: "),
            Span::styled(
                format!(
                    "{} ({})",
                    gap.kind.label(),
                    gap.severity.key().to_uppercase()
                ),
                theme.severity(Some(gap.severity)),
            ),
            Span::raw(format!(
                " {}/wk below ({:.1}%) · {} wk at risk",
                insight.unit.amount(gap.gap_amount.abs()),
                gap.gap_pct,
                gap.weeks_at_risk
            )),
        ])),
        None => first.push(Line::from(Span::styled("No revenue gap.", theme.dim()))),
    }
    if let Some(opportunity) = &insight.opportunity {
        first.push(Line::from(format!(
            "Opportunity: {} · potential {}",
            opportunity.kind.label(),
            insight.unit.amount(opportunity.potential_revenue)
        )));
    }
    first.push(Line::from(vec![
        Span::styled("Next step: ", theme.title()),
        Span::raw(crate::narrative::rules::next_step(insight)),
    ]));
    // Campaigns the customer is in: before anyone contacts them again.
    first.extend(super::campaigns::detail_lines(state, theme));
    let usual = judged_against(insight).map(|gap| (gap.expected, gap.sigmas));
    let mut rest = vec![Line::from(match usual {
        Some((expected, sigmas)) => format!(
            "Usual {} · recent {} · latest {}{} · last buy {} wk ago",
            insight.unit.amount(expected),
            insight.unit.amount(profile.recent_avg),
            insight.unit.amount(profile.latest_week),
            sigmas.map_or(String::new(), |s| format!(" · {s:.1} sd below usual")),
            profile.weeks_since_last_purchase
        ),
        None => format!(
            "Baseline {} · recent {} · latest {} · trend {:+.1}% · last buy {} wk ago",
            insight.unit.amount(profile.baseline_avg),
            insight.unit.amount(profile.recent_avg),
            insight.unit.amount(profile.latest_week),
            profile.trend_pct,
            profile.weeks_since_last_purchase
        ),
    })];
    if let Some(prediction) = &insight.prediction {
        rest.push(Line::from(Span::styled(
            crate::report::format::prediction_line(
                prediction,
                state.config.model.interval,
                insight.unit,
            ),
            theme.key(),
        )));
    }
    let segments = &loaded.analysis.segments;
    let label = |dimension: &crate::segment::Dimension| {
        segments
            .get(dimension)
            .map(|labels| labels.of(insight.customer).to_string())
    };
    use crate::segment::Dimension;
    let parts: Vec<String> = [
        label(&Dimension::ValueTier).map(|tier| format!("{tier} value")),
        label(&Dimension::Lifecycle),
        label(&Dimension::Rfm).map(|rfm| format!("RFM {rfm}")),
        label(&Dimension::FrequencyBand).map(|band| format!("{band} buyer")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !parts.is_empty() {
        rest.push(Line::from(Span::styled(
            format!("Segments: {}", parts.join(" · ")),
            theme.dim(),
        )));
    }
    if !insight.secondary_gaps.is_empty() {
        let others = crate::report::format::secondary_signals(&insight.secondary_gaps);
        rest.push(Line::from(format!("Also: {others}")));
    }
    if let Some(opportunity) = &insight.opportunity {
        let actions = crate::report::format::action_list(&opportunity.actions);
        rest.push(Line::from(format!("Actions: {actions}")));
    }
    if !state.weekly_table {
        rest.push(Line::from(vec![
            Span::styled("━ weekly spend  ", theme.chart_spend()),
            Span::styled(
                format!("•• {}  ", reference(insight).0),
                theme.chart_baseline(),
            ),
            Span::styled("•• recent average  ", theme.chart_recent()),
            Span::styled("(v: table)", theme.dim()),
        ]));
    }
    (first, rest)
}

/// The primary gap when it was judged against the customer's usual spend (model mode), not
/// against the fixed baseline window, which a long quiet spell leaves at zero.
fn judged_against(insight: &CustomerInsight) -> Option<crate::engine::Gap> {
    insight.primary_gap.filter(|gap| {
        insight.model_churn.is_some() && gap.kind != crate::engine::GapType::BelowPeers
    })
}

/// What the chart and the table compare the weeks with: the usual spend the gap was judged
/// against, else the original's baseline.
fn reference(insight: &CustomerInsight) -> (&'static str, f64) {
    match judged_against(insight) {
        Some(gap) => ("usual", gap.expected),
        None => ("baseline", insight.profile.baseline_avg),
    }
}

/// The weekly values behind the chart: week (with its year), spend, the baseline, and the
/// recent average over the weeks it averages.
fn weekly_table(
    state: &AppState,
    insight: &CustomerInsight,
    dataset: &crate::data::Dataset,
    page: &mut Buffer,
    area: Rect,
    theme: Theme,
) {
    let weeks = dataset.weeks_of(insight.customer);
    let recent_from = weeks.len() - state.config.windows.recent_weeks.min(weeks.len());
    let unit = insight.unit;
    let (reference_name, reference_value) = reference(insight);
    let rows = weeks.iter().enumerate().map(|(week, spend)| {
        let start = dataset
            .week_starts
            .get(week)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        Row::new(vec![
            Cell::from(start),
            Cell::from(unit.amount(*spend)),
            Cell::from(unit.amount(reference_value)),
            Cell::from(if week >= recent_from {
                unit.amount(insight.profile.recent_avg)
            } else {
                String::new()
            }),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(10),
            Constraint::Length(11),
            Constraint::Length(11),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(["week of", "spend", reference_name, "recent avg"]).style(theme.title()))
    .column_spacing(2);
    table.render(area, page);
}

fn chart(
    state: &AppState,
    insight: &CustomerInsight,
    dataset: &crate::data::Dataset,
    page: &mut Buffer,
    area: Rect,
    theme: Theme,
) {
    let weeks = dataset.weeks_of(insight.customer);
    if weeks.is_empty() {
        return;
    }
    let last = (weeks.len() - 1) as f64;
    let spend: Vec<(f64, f64)> = weeks
        .iter()
        .enumerate()
        .map(|(w, v)| (w as f64, *v))
        .collect();
    let profile = &insight.profile;
    let config = &state.config;
    let recent_start = (weeks.len() - config.windows.recent_weeks.min(weeks.len())) as f64;
    // The reference is drawn across every week; the recent average only over the weeks it
    // averages.
    let (reference_name, reference_value) = reference(insight);
    let baseline = [(0.0, reference_value), (last, reference_value)];
    let recent = [
        (recent_start, profile.recent_avg),
        (last, profile.recent_avg),
    ];
    let top = weeks
        .iter()
        .copied()
        .fold(reference_value, f64::max)
        .max(1.0)
        * 1.1;
    let datasets = vec![
        Dataset::default()
            .name("weekly spend")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(theme.chart_spend())
            .data(&spend),
        Dataset::default()
            .name(reference_name)
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(theme.chart_baseline())
            .data(&baseline),
        Dataset::default()
            .name("recent avg")
            .marker(Marker::Dot)
            .graph_type(GraphType::Line)
            .style(theme.chart_recent())
            .data(&recent),
    ];
    // Month and day, with the year when the weeks cross one.
    use chrono::Datelike;
    let (first, last_start) = (dataset.week_starts.first(), dataset.week_starts.last());
    let format = match (first, last_start) {
        (Some(a), Some(b)) if a.year() != b.year() => "%Y-%m-%d",
        _ => "%m-%d",
    };
    let label = |day: Option<&chrono::NaiveDate>| {
        day.map(|d| d.format(format).to_string())
            .unwrap_or_default()
    };
    let (first_week, last_week) = (label(first), label(last_start));
    let chart = Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, last.max(1.0)])
                .labels([Span::raw(first_week), Span::raw(last_week)])
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw("$0"), Span::raw(format!("${top:.0}"))])
                .style(theme.dim()),
        )
        .legend_position(None);
    chart.render(area, page);
}
