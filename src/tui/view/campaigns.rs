//! The campaigns view (the ledger's campaigns), the draft preview (the selected customer's
//! drafts with the checker's verdict), and the one-line summary of a customer's campaigns
//! the detail pane shows.

use super::overlays::printable;
use super::theme::Theme;
use crate::ledger::{Arm, Membership};
use crate::tui::campaigns::{CampaignDetail, CampaignsView, selected_history};
use crate::tui::state::AppState;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Wrap};

/// A cleared, framed area over the screen, at most `max_width` wide: its rect and block.
fn overlay(
    frame: &mut Frame,
    area: Rect,
    max_width: u16,
    title: &str,
    theme: Theme,
) -> (Rect, Block<'static>) {
    let rect = super::centered(
        area,
        area.width.saturating_sub(4).min(max_width),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.focused_border())
        .title(format!(" {title} "));
    (rect, block)
}

pub fn list(view: &CampaignsView, frame: &mut Frame, area: Rect, theme: Theme) {
    match &view.open {
        Some(Ok(detail)) => return opened(detail, frame, area, theme),
        Some(Err(error)) => {
            let (rect, block) = overlay(frame, area, 100, "Campaign (Esc back)", theme);
            let text = vec![
                Line::from(Span::styled("Could not read the campaign:", theme.error())),
                Line::from(printable(error)),
            ];
            frame.render_widget(
                Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
                rect,
            );
            return;
        }
        None => {}
    }
    let (rect, block) = overlay(
        frame,
        area,
        100,
        "Campaigns (j/k move · Enter open · Esc back)",
        theme,
    );
    if let Some(error) = &view.error {
        let text = vec![
            Line::from(Span::styled("Could not read the ledger:", theme.error())),
            Line::from(printable(error)),
        ];
        frame.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
            rect,
        );
        return;
    }
    if view.campaigns.is_empty() {
        frame.render_widget(
            Paragraph::new("No campaigns yet: mark customers (Space) and press A.").block(block),
            rect,
        );
        return;
    }
    let rows: Vec<Row> = view
        .campaigns
        .iter()
        .map(|c| {
            Row::new(vec![
                c.campaign_id.to_string(),
                printable(&c.name),
                c.status.clone(),
                c.treated.to_string(),
                c.control.to_string(),
                c.follow_up.clone(),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(4),
        Constraint::Min(12),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(10),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(["id", "name", "status", "treated", "control", "follow-up"])
                .style(theme.title()),
        )
        .block(block)
        .column_spacing(1)
        .row_highlight_style(theme.selection())
        .highlight_symbol("> ");
    let mut state = TableState::default().with_selected(Some(view.selected));
    frame.render_stateful_widget(table, rect, &mut state);
}

/// One opened campaign: what it is, its measured result, and its members (arm, channel, offer,
/// delivery, draft verdict) from the scrolled row on.
fn opened(detail: &CampaignDetail, frame: &mut Frame, area: Rect, theme: Theme) {
    let campaign = &detail.campaign;
    let title = format!(
        "Campaign {} \"{}\" (j/k scroll · e export · Esc back)",
        campaign.campaign_id,
        printable(&campaign.name)
    );
    let (rect, block) = overlay(frame, area, 110, &title, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let treated = detail
        .roster
        .iter()
        .filter(|r| r.arm == Arm::Treated)
        .count();
    let delivered = detail.roster.iter().filter(|r| r.delivered > 0).count();
    let mut head = vec![Line::from(format!(
        "{} · {} treated, {} control · {} delivered · follow-up {}",
        campaign.status,
        treated,
        detail.roster.len() - treated,
        delivered,
        campaign.follow_up
    ))];
    head.extend(
        detail
            .result_lines()
            .into_iter()
            .map(|line| Line::from(Span::styled(line, theme.key()))),
    );
    let head_height = (head.len() as u16).min(inner.height);
    frame.render_widget(
        Paragraph::new(head),
        Rect::new(inner.x, inner.y, inner.width, head_height),
    );
    let table_area = Rect::new(
        inner.x,
        inner.y + head_height,
        inner.width,
        inner.height.saturating_sub(head_height),
    );
    let shown = usize::from(table_area.height.saturating_sub(1));
    let rows: Vec<Row> = detail
        .roster
        .iter()
        .skip(detail.scroll)
        .take(shown)
        .map(|row| {
            Row::new(vec![
                printable(&row.customer_id),
                row.arm.key().to_string(),
                row.channel.clone().unwrap_or_else(|| "–".into()),
                row.offer.clone().unwrap_or_else(|| "–".into()),
                row.draft_verdict().to_string(),
                printable(&row.delivery()),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(12),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    let table = Table::new(rows, widths)
        .header(
            Row::new(["customer", "arm", "channel", "offer", "draft", "delivery"])
                .style(theme.title()),
        )
        .column_spacing(1);
    frame.render_widget(table, table_area);
}

/// "#2 "Spring" treated · email · RETAIN10 · draft passed · delivered" for each campaign.
pub fn summary(membership: &Membership) -> String {
    let mut parts = vec![format!(
        "#{} {:?} {}",
        membership.campaign_id,
        printable(&membership.campaign),
        membership.arm.key()
    )];
    if membership.arm == Arm::Treated {
        parts.extend(membership.channel.clone());
        parts.extend(membership.offer.clone());
        let passed = membership.drafts.iter().any(|d| d.passed);
        parts.push(
            if passed {
                "draft passed"
            } else {
                "no passing draft"
            }
            .into(),
        );
        if membership.delivered > 0 {
            parts.push("delivered".into());
        }
    } else {
        parts.push("held out (never contacted)".into());
    }
    parts.join(" · ")
}

/// The detail pane's campaign lines (none when the customer is in no campaign).
pub fn detail_lines(state: &AppState, theme: Theme) -> Vec<Line<'static>> {
    match selected_history(state) {
        Some(Ok(memberships)) if !memberships.is_empty() => memberships
            .iter()
            .take(2)
            .map(|m| {
                Line::from(Span::styled(
                    format!("Campaign {} (D drafts)", summary(m)),
                    theme.key(),
                ))
            })
            .collect(),
        Some(Err(error)) => vec![Line::from(Span::styled(
            format!("Ledger: {}", printable(error)),
            theme.error(),
        ))],
        _ => Vec::new(),
    }
}

pub fn draft_preview(state: &AppState, frame: &mut Frame, area: Rect, theme: Theme) {
    let mut lines: Vec<Line> = Vec::new();
    match selected_history(state) {
        None => lines.push(Line::from("Reading the ledger…")),
        Some(Err(error)) => lines.push(Line::from(Span::styled(printable(error), theme.error()))),
        Some(Ok(memberships)) if memberships.is_empty() => {
            lines.push(Line::from("This customer is in no campaign yet."))
        }
        Some(Ok(memberships)) => {
            for membership in memberships {
                lines.push(Line::from(Span::styled(summary(membership), theme.title())));
                for draft in &membership.drafts {
                    let verdict = if draft.passed {
                        Span::styled("passed the checker", theme.key())
                    } else {
                        Span::styled(
                            format!("failed: {}", printable(&draft.failures.join("; "))),
                            theme.error(),
                        )
                    };
                    lines.push(Line::from(vec![
                        Span::raw(format!("{} draft ({}): ", draft.channel, draft.source)),
                        verdict,
                    ]));
                    if let Some(subject) = &draft.subject {
                        lines.push(Line::from(format!("Subject: {}", printable(subject))));
                    }
                    for text in draft.text.lines() {
                        lines.push(Line::from(printable(text)));
                    }
                }
                lines.push(Line::from(""));
            }
        }
    }
    let (rect, block) = overlay(frame, area, 96, "Drafts (any key closes)", theme);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

pub fn metrics(
    state: &AppState,
    metrics: &Option<Result<crate::outcome::metrics::Metrics, String>>,
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
) {
    let unit = state
        .loaded
        .as_ref()
        .map_or(Default::default(), |l| l.dataset.unit);
    let mut lines: Vec<Line> = Vec::new();
    match metrics {
        None => lines.push(Line::from("Reading the ledger…")),
        Some(Err(error)) => lines.push(Line::from(Span::styled(printable(error), theme.error()))),
        Some(Ok(metrics)) => {
            for (label, value) in metrics.headlines(unit) {
                lines.push(Line::from(vec![
                    Span::styled(format!("{label}: "), theme.title()),
                    Span::raw(value),
                ]));
            }
            if metrics.campaigns.is_empty() {
                lines.push(Line::from(
                    "No measured campaign yet: revgap campaign measure ID after the follow-up.",
                ));
            } else {
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(
                    "campaign · weeks · treated/control · incremental per treated (95 % CI, estimator) · verdict",
                    theme.dim(),
                )));
                for c in &metrics.campaigns {
                    lines.push(Line::from(format!(
                        "#{} {} · {} wk · {}/{} · {} ({}) · {}",
                        c.campaign_id,
                        printable(&c.name),
                        c.weeks,
                        c.n_treated,
                        c.n_control,
                        c.incremental_revenue_per_treated.as_amount(unit),
                        if c.estimator == "cuped" {
                            "CUPED"
                        } else {
                            "Welch"
                        },
                        c.verdict
                    )));
                }
            }
        }
    }
    let (rect, block) = overlay(frame, area, 100, "Success metrics (any key closes)", theme);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
