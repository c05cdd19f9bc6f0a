//! Acting from the explorer: marking customers, naming and making a campaign from the marked
//! (or listed) customers, the ledger's campaigns view, and the selected customer's campaigns
//! and drafts. The work itself (the ledger, the assignment) runs in the app as commands; this
//! module only changes state and asks for them.

pub use super::basics::{CampaignDetail, CampaignsView, History};
use super::keymap::{Key, KeyCodeKey};
use super::msg::Command;
use super::state::{AppState, Mode};
use crate::ledger::{Campaign, Membership};

/// Space: marks or unmarks the selected customer.
pub fn toggle_mark(state: &mut AppState) {
    let Some(customer) = state.selected_customer() else {
        return;
    };
    let customer = customer as u32;
    if !state.marked.remove(&customer) {
        state.marked.insert(customer);
    }
    state.status = Some(format!("{} marked", state.marked.len()));
    state.move_selection(1);
}

/// `*`: marks every listed customer; when all are marked already, unmarks everyone.
pub fn mark_all(state: &mut AppState) {
    if !state.view.is_empty() && state.view.iter().all(|c| state.marked.contains(c)) {
        state.marked.clear();
        state.status = Some("marks cleared".into());
    } else {
        state.marked.extend(state.view.iter().copied());
        state.status = Some(format!("{} marked", state.marked.len()));
    }
}

/// The customers a new campaign would take: the marked ones, else the listed ones.
pub fn chosen(state: &AppState) -> Vec<u32> {
    if state.marked.is_empty() {
        state.view.clone()
    } else {
        // In list order, so the campaign's selection reads like the screen.
        let mut listed: Vec<u32> = state
            .view
            .iter()
            .copied()
            .filter(|c| state.marked.contains(c))
            .collect();
        let shown: std::collections::BTreeSet<u32> = listed.iter().copied().collect();
        listed.extend(state.marked.iter().copied().filter(|c| !shown.contains(c)));
        listed
    }
}

/// `A`: asks for the new campaign's name.
pub fn open_new(state: &mut AppState) {
    if state.loaded.is_none() {
        state.status = Some("no analysis yet".into());
    } else if state.creating_campaign {
        state.status = Some("a campaign is being made already".into());
    } else if chosen(state).is_empty() {
        state.status = Some("no customers listed or marked".into());
    } else {
        state.mode = Mode::NewCampaign(String::new());
    }
}

/// Typing the name: Enter makes the campaign, Esc gives up.
pub fn on_name_key(state: &mut AppState, mut name: String, key: Key) -> Vec<Command> {
    match key.code {
        KeyCodeKey::Esc => return Vec::new(),
        KeyCodeKey::Enter if name.trim().is_empty() => {
            state.status = Some("the campaign needs a name".into());
        }
        KeyCodeKey::Enter => {
            state.creating_campaign = true;
            state.status = Some(format!("making campaign {:?}…", name.trim()));
            return vec![Command::CreateCampaign {
                name: name.trim().to_string(),
                customers: chosen(state),
            }];
        }
        KeyCodeKey::Backspace => {
            name.pop();
        }
        KeyCodeKey::Char(c) if !key.ctrl && !key.alt && !c.is_control() => name.push(c),
        _ => {}
    }
    state.mode = Mode::NewCampaign(name);
    Vec::new()
}

/// A campaign was made (its summary) or not (why).
pub fn on_created(state: &mut AppState, result: Result<String, String>) -> Vec<Command> {
    state.creating_campaign = false;
    match result {
        Ok(summary) => {
            state.marked.clear();
            state.status = Some(summary);
            // The selected customer may be in it now.
            state.history = None;
            history_command(state).into_iter().collect()
        }
        Err(message) => {
            state.status = Some(format!("no campaign made: {message}"));
            Vec::new()
        }
    }
}

/// `L`: the campaigns view (read from the ledger in the background).
pub fn open_list(state: &mut AppState) -> Vec<Command> {
    state.mode = Mode::Campaigns(Box::default());
    vec![Command::LoadCampaigns]
}

pub fn on_campaigns(state: &mut AppState, result: Result<Vec<Campaign>, String>) {
    if let Mode::Campaigns(view) = &mut state.mode {
        match result {
            Ok(campaigns) => {
                view.campaigns = campaigns;
                view.error = None;
            }
            Err(message) => view.error = Some(message),
        }
        view.selected = view.selected.min(view.campaigns.len().saturating_sub(1));
    }
}

pub fn on_list_key(state: &mut AppState, mut view: Box<CampaignsView>, key: Key) -> Vec<Command> {
    if view.open.is_some() {
        return on_detail_key(state, view, key);
    }
    let mut commands = Vec::new();
    match key.code {
        KeyCodeKey::Esc | KeyCodeKey::Char('q') | KeyCodeKey::Char('L') => return commands,
        KeyCodeKey::Up | KeyCodeKey::Char('k') => view.selected = view.selected.saturating_sub(1),
        KeyCodeKey::Down | KeyCodeKey::Char('j') => {
            view.selected = (view.selected + 1).min(view.campaigns.len().saturating_sub(1));
        }
        KeyCodeKey::Enter => {
            if let Some(campaign) = view.campaigns.get(view.selected) {
                commands.push(Command::LoadCampaign(campaign.campaign_id));
                state.status = Some(format!("reading campaign {}…", campaign.campaign_id));
            }
        }
        _ => {}
    }
    state.mode = Mode::Campaigns(view);
    commands
}

/// An opened campaign: j/k and PgUp/PgDn scroll its members, `e` exports what is shown, Esc
/// goes back to the campaigns.
fn on_detail_key(state: &mut AppState, mut view: Box<CampaignsView>, key: Key) -> Vec<Command> {
    let page = usize::from(state.height / 2).max(1);
    let mut commands = Vec::new();
    match (key.code, view.open.as_mut()) {
        (KeyCodeKey::Esc | KeyCodeKey::Char('q') | KeyCodeKey::Backspace, _) => view.open = None,
        (KeyCodeKey::Char('e'), Some(Ok(detail))) => {
            commands.push(Command::ExportCampaign(detail.clone()));
        }
        (code, Some(Ok(detail))) => {
            let last = detail.roster.len().saturating_sub(1);
            detail.scroll = match code {
                KeyCodeKey::Down | KeyCodeKey::Char('j') => detail.scroll + 1,
                KeyCodeKey::Up | KeyCodeKey::Char('k') => detail.scroll.saturating_sub(1),
                KeyCodeKey::PageDown => detail.scroll + page,
                KeyCodeKey::PageUp => detail.scroll.saturating_sub(page),
                KeyCodeKey::Char('g') | KeyCodeKey::Home => 0,
                KeyCodeKey::Char('G') | KeyCodeKey::End => last,
                _ => detail.scroll,
            }
            .min(last);
        }
        _ => {}
    }
    state.mode = Mode::Campaigns(view);
    commands
}

/// A campaign read for the campaigns view; dropped when the view was closed meanwhile.
pub fn on_campaign(state: &mut AppState, result: Result<Box<CampaignDetail>, String>) {
    if let Mode::Campaigns(view) = &mut state.mode {
        view.open = Some(result);
        state.status = None;
    }
}

/// The read of the selected customer's campaigns, when it is not the one already shown.
pub fn history_command(state: &AppState) -> Option<Command> {
    let customer = state.selected_customer()?;
    match &state.history {
        Some(history) if history.customer == customer => None,
        _ => Some(Command::LoadHistory(customer)),
    }
}

pub fn on_history(state: &mut AppState, history: History) {
    // A read for a customer no longer selected is dropped; the next one is on its way.
    if state.selected_customer() == Some(history.customer) {
        state.history = Some(history);
    }
}

/// The selected customer's campaigns, when read.
pub fn selected_history(state: &AppState) -> Option<&Result<Vec<Membership>, String>> {
    let history = state.history.as_ref()?;
    (Some(history.customer) == state.selected_customer()).then_some(&history.memberships)
}
