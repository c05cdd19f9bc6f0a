//! Plain formatting shared by the narrative and the reports: rounding for display and the
//! words for an action's machine name. Uses nothing above `std`, so any floor may use it.

/// Rounds to `places` decimals for machine outputs (JSON, CSV).
pub fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    let rounded = (value * scale).round() / scale;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// "re_engagement_campaign" → "re-engagement campaign".
pub fn action_label(action: &str) -> std::borrow::Cow<'_, str> {
    match action {
        "re_engagement_campaign" => "re-engagement campaign".into(),
        "win_back_offer" => "win-back offer".into(),
        other if other.contains('_') => other.replace('_', " ").into(),
        other => other.into(),
    }
}
