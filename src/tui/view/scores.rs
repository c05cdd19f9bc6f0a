//! The scores pane: the four priority factors with weights and contributions as bars, and
//! the churn factors with their points.

use super::theme::Theme;
use crate::engine::{ChurnFactor, CustomerInsight};
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// A text bar of `width` cells for a 0–10 value (works without colour).
fn bar(value: f64, width: usize) -> String {
    let filled = ((value / 10.0).clamp(0.0, 1.0) * width as f64).round() as usize;
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

pub fn render(
    state: &AppState,
    insight: Option<&CustomerInsight>,
    frame: &mut Frame,
    inner: Rect,
    theme: Theme,
) {
    let Some(insight) = insight else { return };
    let config = &state.config;
    let mut lines = Vec::new();
    if let Some(factors) = &insight.score {
        let bar_width = (inner.width as usize).saturating_sub(42).clamp(5, 20);
        for (name, value, weight) in factors.rows(config) {
            lines.push(Line::from(vec![
                Span::raw(format!("{:<21}", name.replace('_', " "))),
                Span::styled(bar(value, bar_width), theme.chart_spend()),
                Span::raw(format!(
                    " {value:>4.1} × {weight:.2} = {:.2}",
                    value * weight
                )),
            ]));
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("priority {:.2}", insight.priority_score),
                theme.title(),
            ),
            Span::raw(format!(
                " of {:.1} · rank {}",
                10.0 * config.weight_total(),
                insight.rank.map_or("-".into(), |r| r.to_string())
            )),
        ]));
    } else {
        lines.push(Line::from(Span::styled("No gap: not ranked.", theme.dim())));
    }
    if let Some(reason) = gap_reason(insight, config) {
        lines.push(Line::from(Span::styled(reason, theme.dim())));
    }
    let churn = &insight.churn;
    let factors = churn
        .factors
        .iter()
        .map(|f| format!("{} +{}", f.key(), factor_points(*f, insight, config)))
        .collect::<Vec<_>>()
        .join(", ");
    let (source, probability) = match &state.loaded {
        Some(loaded) => (
            loaded.analysis.churn_model.as_str(),
            loaded.analysis.churn_probability(insight.customer),
        ),
        None => ("rules", churn.probability),
    };
    lines.push(Line::from(format!(
        "churn probability {:.0}% ({source}) · rule score {:.2}{}{factors}",
        probability * 100.0,
        churn.score(),
        if factors.is_empty() { "" } else { ": " }
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

/// Why the primary gap is a gap in model mode: how far outside the customer's own noise it
/// is, or how unlikely the quiet spell is to end, against the configured thresholds.
fn gap_reason(insight: &CustomerInsight, config: &crate::config::Config) -> Option<String> {
    let gap = insight.primary_gap?;
    let unit = insight.unit;
    match (gap.sigmas, insight.model_churn) {
        (Some(sigmas), _) => Some(format!(
            "gap: {sigmas:.1} sd of own noise below usual {} (flag from {:.1} sd, high from {:.1})",
            unit.amount(gap.expected),
            config.gaps.shortfall_sigmas,
            config.gaps.shortfall_sigmas_high
        )),
        (None, Some(churn)) if gap.kind == crate::engine::GapType::ZeroSpend => Some(format!(
            "gap: quiet {} wk, churn {:.0}% (flag from {:.0}%, high from {:.0}%)",
            gap.weeks_at_risk,
            churn * 100.0,
            config.model.flag_probability * 100.0,
            config.model.high_risk_probability * 100.0
        )),
        _ => None,
    }
}

fn factor_points(
    factor: ChurnFactor,
    insight: &CustomerInsight,
    config: &crate::config::Config,
) -> u32 {
    let rules = &config.churn;
    match factor {
        ChurnFactor::ZeroSpendWeeks => rules.zero_spend_points,
        ChurnFactor::DecliningTrend if insight.profile.trend_pct < rules.strong_decline_pct => {
            rules.strong_decline_points
        }
        ChurnFactor::DecliningTrend => rules.mild_decline_points,
        ChurnFactor::SignificantDecline => rules.significant_decline_points,
    }
}
