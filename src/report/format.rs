//! Display formatting shared by every output: money, percentages, labels. Rounding happens
//! here and nowhere else.

pub use crate::text::{group_thousands, money};

/// A whole number with thousands separators.
pub fn count(value: usize) -> String {
    group_thousands(value as u128)
}

/// Rounds to `places` decimals for machine outputs (JSON, CSV).
pub fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    let rounded = (value * scale).round() / scale;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// Secondary gaps as "Declining Revenue (HIGH, -52.7%); …".
pub fn secondary_signals(gaps: &[crate::engine::Gap]) -> String {
    gaps.iter()
        .map(|g| {
            format!(
                "{} ({}, {:.1}%)",
                g.kind.label(),
                g.severity.key().to_uppercase(),
                g.gap_pct
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// "P(alive) 0.42 · P(no purchase in 4 wk) 0.61 · revenue at risk $120.00 (90% interval
/// $80.00–$150.00)".
pub fn prediction_line(
    prediction: &crate::model::predict::Prediction,
    interval: f64,
    unit: crate::text::ValueUnit,
) -> String {
    let at_risk = match unit {
        crate::text::ValueUnit::Currency => "revenue at risk",
        crate::text::ValueUnit::Purchases => "at risk",
    };
    format!(
        "P(alive) {:.2} · P(no purchase in {} wk) {:.2} · {at_risk} {} ({:.0}% interval {}–{})",
        prediction.p_alive,
        prediction.horizon_weeks,
        prediction.p_no_purchase,
        unit.amount(prediction.revenue_at_risk),
        interval * 100.0,
        unit.amount(prediction.revenue_at_risk_low),
        unit.amount(prediction.revenue_at_risk_high)
    )
}

/// Actions as people read them, comma-separated.
pub fn action_list(actions: &[impl AsRef<str>]) -> String {
    actions
        .iter()
        .map(|a| action_label(a.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "re_engagement_campaign" → "re-engagement campaign".
pub fn action_label(action: &str) -> String {
    match action {
        "re_engagement_campaign" => "re-engagement campaign".into(),
        "win_back_offer" => "win-back offer".into(),
        other => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands_and_rounds_half_cents() {
        assert_eq!(money(1234.5), "$1,234.50");
        assert_eq!(money(9888.5249), "$9,888.52");
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(-19.305), "-$19.31");
        assert_eq!(money(1_000_000.0), "$1,000,000.00");
        assert_eq!(money(-0.001), "$0.00");
    }

    #[test]
    fn round_never_gives_negative_zero() {
        assert_eq!(round(-0.0001, 2).to_string(), "0");
        assert_eq!(round(2.345678, 4), 2.3457);
    }
}
