//! The header (data source, counts, sort, filter) and the footer (key hints generated from
//! the keymap, and transient messages).

use super::theme::Theme;
use crate::report::format::count;
use crate::tui::state::{AppState, Mode, Phase};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// How much of a filter the header quotes: the match count after it stays on an 80-column line.
const FILTER_ROOM: usize = 28;

pub fn header(state: &AppState, frame: &mut Frame, area: Rect, theme: Theme) {
    // Most important first: a narrow terminal cuts the end of the line (the source).
    let mut spans = vec![Span::styled(" revgap", theme.title())];
    if let Some(loaded) = &state.loaded {
        let summary = &loaded.analysis.summary;
        // The filter and its match count come first: at 80 columns the line's end is cut.
        let plural = |n: usize| if n == 1 { "" } else { "es" };
        if let Some(problem) = &state.filter_error {
            spans.push(Span::styled(format!(" · {problem}"), theme.error()));
        } else if !state.filter.is_empty() && state.narrow {
            spans.push(Span::raw(format!(
                " · filter \"{}\": {} match{}",
                crate::text::cut_to(&super::overlays::printable(&state.filter), FILTER_ROOM),
                count(state.view.len()),
                plural(state.view.len())
            )));
        } else if !state.filter.is_empty() {
            spans.push(Span::raw(format!(
                " · find \"{}\": {} match{} (n/N)",
                crate::text::cut_to(&super::overlays::printable(&state.filter), FILTER_ROOM),
                count(state.found.len()),
                plural(state.found.len())
            )));
        }
        spans.push(Span::raw(format!(
            " · {} of {} customers with gaps",
            count(summary.customers_with_gaps),
            count(summary.customers_analyzed)
        )));
        if loaded.dataset.load.skipped_rows > 0 {
            spans.push(Span::styled(
                format!(
                    " · {} rows skipped",
                    count(loaded.dataset.load.skipped_rows as usize)
                ),
                theme.error(),
            ));
        }
        let arrow = state.sort.arrow(state.reversed);
        spans.push(Span::raw(format!(
            " · sort: {} {arrow}",
            state.sort.label()
        )));
        if state.list_building {
            // The list shown is a first part, or the previous one: say so until it is whole.
            spans.push(Span::styled(" · ⟳ listing…", theme.key()));
        }
    }
    if let Some(marks) = &state.changes
        && marks.since.is_some()
    {
        spans.push(Span::styled(
            format!(
                " · since last: +{} ▲{} ✓{}",
                count(marks.new),
                count(marks.worsened),
                count(marks.recovered)
            ),
            theme.key(),
        ));
    }
    if let (Phase::Working { what, .. }, Some(_)) = (&state.phase, &state.loaded) {
        spans.push(Span::styled(format!(" · {what}…"), theme.key()));
    }
    // A running batch and its key come before what is only reported: at 80 columns the
    // header's end is cut.
    if let Some(batch) = state.batch.as_ref().filter(|b| !b.finished) {
        spans.push(Span::styled(
            format!(" · LLM batch {}/{} (c cancels)", batch.done, batch.total),
            theme.key(),
        ));
    }
    if state.grounding_failures > 0 {
        spans.push(Span::styled(
            format!(
                " · {} LLM text(s) rejected by grounding",
                state.grounding_failures
            ),
            theme.error(),
        ));
    }
    if let Some(loaded) = &state.loaded
        && loaded.analysis.summary.model_fallback().is_some()
    {
        // Expected on weekly-grid shoppers, so not an error, and less urgent than anything
        // above; the reason is in the scores pane.
        spans.push(Span::styled(" · churn: rules", theme.key()));
    }
    if !state.marked.is_empty() {
        spans.push(Span::styled(
            format!(" · {} marked", state.marked.len()),
            theme.key(),
        ));
    }
    spans.push(Span::styled(format!(" · {}", state.source), theme.dim()));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn footer(state: &AppState, frame: &mut Frame, area: Rect, theme: Theme) {
    let line = match &state.mode {
        Mode::Filter(text) => Line::from(vec![
            Span::styled(
                if state.narrow { " filter: " } else { " find: " },
                theme.key(),
            ),
            Span::raw(super::overlays::printable(text)),
            Span::styled("█", theme.dim()),
            Span::styled(
                if state.narrow {
                    "   Enter keep · Esc clear · Tab find instead"
                } else {
                    "   Enter keep · Esc clear · Tab narrow instead"
                },
                theme.dim(),
            ),
        ]),
        Mode::GoTo(text) => Line::from(vec![
            Span::styled(" go to customer: ", theme.key()),
            Span::raw(super::overlays::printable(text)),
            Span::styled("█", theme.dim()),
            Span::styled("   Enter jump · Esc cancel", theme.dim()),
        ]),
        Mode::NewCampaign(text) => Line::from(vec![
            Span::styled(
                format!(
                    " campaign of {} customers, name: ",
                    crate::tui::campaigns::chosen(state).len()
                ),
                theme.key(),
            ),
            Span::raw(super::overlays::printable(text)),
            Span::styled("█", theme.dim()),
            Span::styled("   Enter make · Esc cancel", theme.dim()),
        ]),
        Mode::ConfirmQuit(what) => Line::from(vec![
            Span::styled(format!(" quit? {what}"), theme.key()),
            Span::styled("   y or q quit · any other key stays", theme.dim()),
        ]),
        _ => match &state.status {
            Some(message) => Line::from(Span::raw(format!(" {message}"))),
            None => hints(state, theme),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// "q quit  / filter  s sort …": the first key of each hinted action, from the keymap.
fn hints(state: &AppState, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let mut seen = Vec::new();
    for (key, action) in state.keymap.bindings() {
        let Some(hint) = action.hint() else { continue };
        if seen.contains(action) {
            continue;
        }
        seen.push(*action);
        spans.push(Span::styled(key.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {hint}  ")));
    }
    Line::from(spans)
}
