//! The rationale pane: the rule-based text at once, and the slot for generated text,
//! each labelled by its source.

use super::theme::Theme;
use crate::engine::CustomerInsight;
use crate::narrative::rules;
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn render(
    state: &AppState,
    insight: Option<&CustomerInsight>,
    frame: &mut Frame,
    area: Rect,
    block: Block,
    theme: Theme,
) {
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(insight) = insight else { return };
    let lines = vec![
        Line::from(Span::styled("[rule_based]", theme.dim())),
        Line::from(rules::rationale(insight, &state.config)),
        Line::from(vec![
            Span::styled("Next step: ", theme.title()),
            Span::raw(rules::next_step(insight)),
        ]),
        Line::from(""),
        Line::from(Span::styled("[llm] not generated", theme.dim())),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
