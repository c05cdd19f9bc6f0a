//! The rationale pane: the rule-based text at once, then the generated text for the selected
//! customer as it streams, each labelled by its source and, once finished, its grounding.

use super::theme::Theme;
use crate::engine::CustomerInsight;
use crate::narrative::generate::Source;
use crate::narrative::rules;
use crate::tui::state::{AppState, NarrativePhase};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn render(
    state: &AppState,
    insight: Option<&CustomerInsight>,
    frame: &mut Frame,
    inner: Rect,
    theme: Theme,
) {
    let Some(insight) = insight else { return };
    let rule_based = vec![
        Line::from(Span::styled("[rule_based]", theme.dim())),
        Line::from(rules::rationale(insight, &state.config)),
        Line::from(vec![
            Span::styled("Next step: ", theme.title()),
            Span::raw(rules::next_step(insight)),
        ]),
    ];
    // Generated text, once asked for, comes first: it is what the analyst is waiting for.
    let generated = generated_lines(state, insight.customer, theme);
    let mut lines = Vec::new();
    if state.narratives.contains_key(&insight.customer) {
        lines.extend(generated);
        lines.push(Line::from(""));
        lines.extend(rule_based);
    } else {
        lines.extend(rule_based);
        lines.push(Line::from(""));
        lines.extend(generated);
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

fn generated_lines(state: &AppState, customer: usize, theme: Theme) -> Vec<Line<'static>> {
    let Some(view) = state.narratives.get(&customer) else {
        let hint = match &state.llm_unavailable {
            Some(reason) => format!("[llm] unavailable: {reason}"),
            None => "[llm] press r to generate a grounded rationale".to_string(),
        };
        return vec![Line::from(Span::styled(hint, theme.dim()))];
    };
    match &view.phase {
        NarrativePhase::Streaming {
            text,
            tokens,
            retry,
        } => {
            let spinner = SPINNER[state.spinner % SPINNER.len()];
            let status = match retry {
                Some(retry) => format!("[llm {spinner} {retry}]"),
                None => format!(
                    "[llm {spinner} streaming · {tokens} tokens · c cancels · not yet checked]"
                ),
            };
            vec![
                Line::from(Span::styled(status, theme.key())),
                Line::from(text.clone()),
            ]
        }
        NarrativePhase::Cancelled { text } => vec![
            Line::from(Span::styled(
                "[llm cancelled · text below not checked]",
                theme.dim(),
            )),
            Line::from(Span::styled(text.clone(), theme.dim())),
        ],
        NarrativePhase::Done(generated) => {
            let timing = generated
                .completion
                .as_ref()
                .map(|c| {
                    format!(
                        " · first token {} ms · {} tokens · {:.1} s",
                        c.first_token.map_or(0, |t| t.as_millis()),
                        c.tokens,
                        c.elapsed.as_secs_f64()
                    )
                })
                .unwrap_or_default();
            match generated.source {
                Source::RuleBased => vec![Line::from(Span::styled(
                    format!(
                        "[rule_based fallback: {}]",
                        generated.fallback_reason.clone().unwrap_or_default()
                    ),
                    theme.error(),
                ))],
                source => vec![
                    Line::from(Span::styled(
                        format!("[{} · grounded{timing}]", source.key()),
                        theme.key(),
                    )),
                    Line::from(generated.text.clone().unwrap_or_default()),
                ],
            }
        }
    }
}
