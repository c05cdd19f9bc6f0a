//! The "what changed" popup (`W`): counts since the results last changed, and the trend of
//! customers with gaps and of the revenue gap across the kept runs, as sparklines.

use super::theme::Theme;
use crate::report::format::count;
use crate::snapshot::{Run, sparkline};
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// The runs' trend of `value`: the last few numbers and a sparkline of them all.
fn trend(runs: &[Run], value: fn(&Run) -> f64, money: bool) -> String {
    let values: Vec<f64> = runs.iter().map(value).collect();
    let shown: Vec<String> = values
        .iter()
        .skip(values.len().saturating_sub(4))
        .map(|v| {
            if money {
                format!("${v:.0}")
            } else {
                format!("{v:.0}")
            }
        })
        .collect();
    format!("{} {}", sparkline(&values), shown.join(" → "))
}

pub fn popup(state: &AppState, frame: &mut Frame, area: Rect, theme: Theme) {
    let lines = match &state.changes {
        None => vec![Line::from(
            "No snapshots read (no state directory, or still reading).",
        )],
        Some(marks) => {
            let since = match &marks.since {
                Some(run) => format!(
                    "Since {} (data as of {})",
                    run.taken_at.get(..16).unwrap_or(&run.taken_at),
                    if run.as_of.is_empty() {
                        "-"
                    } else {
                        &run.as_of
                    }
                ),
                None => {
                    "No earlier run with different results: this one is the baseline.".to_string()
                }
            };
            vec![
                Line::from(Span::styled(since, theme.title())),
                Line::from(""),
                Line::from(format!("+ new gaps      {:>9}", count(marks.new))),
                Line::from(format!("▲ worsened      {:>9}", count(marks.worsened))),
                Line::from(format!("✓ recovered     {:>9}", count(marks.recovered))),
                Line::from(""),
                Line::from(format!(
                    "customers with gaps, {} runs: {}",
                    marks.runs.len(),
                    trend(&marks.runs, |r| r.customers_with_gaps as f64, false)
                )),
                Line::from(format!(
                    "revenue gap per week:    {}",
                    trend(&marks.runs, |r| r.total_revenue_gap, true)
                )),
                Line::from(""),
                Line::from(Span::styled(
                    "filter changed:new, changed:worsened, changed:recovered or changed:any",
                    theme.dim(),
                )),
            ]
        }
    };
    super::overlays::popup(frame, area, "What changed (any key closes)", lines, theme);
}
