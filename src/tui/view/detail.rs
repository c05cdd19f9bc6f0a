//! The gap detail: the selected customer's facts, secondary gaps, opportunity, and a chart of
//! weekly spend against the baseline and recent averages.

use super::theme::Theme;
use crate::engine::CustomerInsight;
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Wrap};

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
    // Short panes keep the chart: drop the lines the rationale pane repeats.
    let compact = inner.height < 18;
    let mut lines = facts(state, insight, theme, compact);
    if !compact {
        lines.push(Line::from(vec![
            Span::styled("━ weekly spend  ", theme.chart_spend()),
            Span::styled("•• baseline (all weeks)  ", theme.chart_baseline()),
            Span::styled("•• recent average (recent weeks)", theme.chart_recent()),
        ]));
    }
    // Wrapped height: each line takes ceil(width / pane width) rows.
    let wrapped: usize = lines
        .iter()
        .map(|line| line.width().max(1).div_ceil(inner.width.max(1) as usize))
        .sum();
    let text_height = (wrapped as u16).min(inner.height);
    let [text_area, chart_area] =
        Layout::vertical([Constraint::Length(text_height), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), text_area);
    if chart_area.height >= 5 {
        chart(state, insight, dataset, frame, chart_area, theme);
    }
}

fn facts(
    state: &AppState,
    insight: &CustomerInsight,
    theme: Theme,
    compact: bool,
) -> Vec<Line<'static>> {
    let Some(loaded) = &state.loaded else {
        return Vec::new();
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
    let mut lines = vec![Line::from(who)];
    if let Some(gap) = &insight.primary_gap {
        lines.push(Line::from(vec![
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
        ]));
    }
    lines.push(Line::from(format!(
        "Baseline {} · recent {} · latest {} · trend {:+.1}% · last buy {} wk ago",
        insight.unit.amount(profile.baseline_avg),
        insight.unit.amount(profile.recent_avg),
        insight.unit.amount(profile.latest_week),
        profile.trend_pct,
        profile.weeks_since_last_purchase
    )));
    if let Some(prediction) = &insight.prediction {
        lines.push(Line::from(Span::styled(
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
        lines.push(Line::from(Span::styled(
            format!("Segments: {}", parts.join(" · ")),
            theme.dim(),
        )));
    }
    lines.extend(super::campaigns::detail_lines(state, theme));
    if compact {
        return lines;
    }
    if !insight.secondary_gaps.is_empty() {
        let others = crate::report::format::secondary_signals(&insight.secondary_gaps);
        lines.push(Line::from(format!("Also: {others}")));
    }
    if let Some(opportunity) = &insight.opportunity {
        let actions = crate::report::format::action_list(&opportunity.actions);
        lines.push(Line::from(format!(
            "Opportunity: {} · potential {} · {actions}",
            opportunity.kind.label(),
            insight.unit.amount(opportunity.potential_revenue)
        )));
    }
    lines
}

fn chart(
    state: &AppState,
    insight: &CustomerInsight,
    dataset: &crate::data::Dataset,
    frame: &mut Frame,
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
    // The baseline is drawn across every week as the reference; the recent average only over
    // the weeks it averages.
    let baseline = [(0.0, profile.baseline_avg), (last, profile.baseline_avg)];
    let recent = [
        (recent_start, profile.recent_avg),
        (last, profile.recent_avg),
    ];
    let top = weeks
        .iter()
        .copied()
        .fold(profile.baseline_avg, f64::max)
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
            .name("baseline")
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
    let first_week = dataset
        .week_starts
        .first()
        .map(|d| d.format("%m-%d").to_string())
        .unwrap_or_default();
    let last_week = dataset
        .week_starts
        .last()
        .map(|d| d.format("%m-%d").to_string())
        .unwrap_or_default();
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
    frame.render_widget(chart, area);
}
