//! `update(state, msg) -> commands`: all of the explorer's behaviour, with no terminal and no
//! I/O, so it is tested directly. Side effects are returned as `Command`s for the app to run.

use super::action::Action;
use super::keymap::{Key, KeyCodeKey};
use super::state::NarrativePhase;
use super::state::{AppState, Mode, Pane, Phase};
use super::tuning::TuningForm;
use super::{campaigns, narration};
use crate::config::Config;
use crate::report::Format;

pub use super::msg::{Command, LlmUpdate, Msg};
use super::scrolling::scroll_detail;

/// Applies one message.
pub fn update(state: &mut AppState, msg: Msg) -> Vec<Command> {
    let mut commands = apply(state, msg);
    if let Some(request) = state.pending_list.take() {
        commands.push(Command::BuildList(request));
    }
    if let Some(request) = state.pending_views.take() {
        commands.push(Command::Views(request));
    }
    commands
}

fn apply(state: &mut AppState, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::BatchItem {
            request,
            customer,
            generated,
        } => {
            narration::on_batch_item(state, request, customer, generated);
            Vec::new()
        }
        Msg::BatchFinished { request, refused } => {
            narration::on_batch_finished(state, request, refused);
            Vec::new()
        }
        Msg::Mouse(event) => {
            let before = state.selected_customer();
            if let Some(pointer) = super::mouse::pointer_action(state, event) {
                on_pointer(state, pointer);
            }
            if state.selected_customer() != before {
                state.detail_scroll = 0;
                return campaigns::history_command(state).into_iter().collect();
            }
            Vec::new()
        }
        Msg::Views(result) => {
            if let Mode::Views(popup) = &mut state.mode {
                popup.show(result);
            } else if let Err(problem) = result {
                state.status = Some(problem);
            }
            Vec::new()
        }
        Msg::Changes { generation, result } => {
            if generation == state.generation {
                match result {
                    Ok(marks) => {
                        state.changes = Some(std::sync::Arc::new(marks));
                        if state.filter.contains("change") {
                            state.rebuild_view();
                        }
                    }
                    Err(problem) => {
                        tracing::warn!(%problem, "what changed is not shown");
                    }
                }
            }
            Vec::new()
        }
        Msg::ListBuilt {
            generation,
            list,
            complete,
        } => {
            if generation == state.list_generation {
                state.apply_list(list, complete);
                if complete {
                    state.list_building = false;
                }
            }
            Vec::new()
        }
        Msg::Key(event) => match Key::from_event(&event) {
            Some(key) => {
                let before = (state.selected_customer(), state.focus);
                let mut commands = on_key(state, key);
                if state.selected_customer() != before.0 {
                    state.detail_scroll = 0;
                    commands.extend(campaigns::history_command(state));
                } else if state.focus != before.1 {
                    state.detail_scroll = 0;
                }
                commands
            }
            None => Vec::new(),
        },
        Msg::CampaignCreated(result) => campaigns::on_created(state, result),
        Msg::Campaigns(result) => {
            campaigns::on_campaigns(state, result);
            Vec::new()
        }
        Msg::Campaign(result) => {
            campaigns::on_campaign(state, result);
            Vec::new()
        }
        Msg::History(history) => {
            campaigns::on_history(state, history);
            Vec::new()
        }
        Msg::Metrics(result) => {
            if let Mode::Metrics(view) = &mut state.mode {
                **view = Some(result);
            }
            Vec::new()
        }
        Msg::Resize(width, height) => {
            state.width = width;
            state.height = height;
            state.scroll_to_selection();
            Vec::new()
        }
        Msg::Progress {
            generation,
            progress,
            what,
        } => {
            // Progress only moves a running load: a message queued behind a failure must not
            // turn the error view back into "loading… 0 %".
            if generation == state.generation
                && state.loaded.is_none()
                && matches!(state.phase, Phase::Working { .. })
            {
                state.phase = Phase::Working { progress, what };
            }
            Vec::new()
        }
        Msg::Analysed { generation, result } => {
            if generation != state.generation {
                return Vec::new();
            }
            match result {
                Ok(loaded) => {
                    let rerun = state.loaded.is_some();
                    state.config = loaded.analysis.config.clone();
                    state.loaded = Some(loaded);
                    state.orders = Default::default();
                    state.phase = Phase::Ready;
                    state.rebuild_view();
                    if rerun {
                        state.status = Some("analysis updated with the new settings".into());
                    }
                    let mut commands = vec![Command::PrepareOrders];
                    commands.extend(campaigns::history_command(state));
                    return commands;
                }
                Err(message) => state.phase = Phase::Failed(message),
            }
            Vec::new()
        }
        Msg::Tick => {
            state.spinner = state.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Cohorts(table) => {
            super::cohorts::on_table(state, table);
            Vec::new()
        }
        Msg::Llm {
            request,
            customer,
            update,
        } => {
            narration::on_llm(state, request, customer, update);
            Vec::new()
        }
        Msg::Exported(result) => {
            state.status = Some(match result {
                Ok(message) => message,
                Err(message) => format!("export failed: {message}"),
            });
            Vec::new()
        }
    }
}

fn on_key(state: &mut AppState, key: Key) -> Vec<Command> {
    state.status = None;
    state.notices.clear();
    // Ctrl-C quits from anywhere, whatever the mode or keymap.
    if key == Key::ctrl('c') {
        state.quit = true;
        return Vec::new();
    }
    match std::mem::replace(&mut state.mode, Mode::Normal) {
        Mode::Normal => match state.keymap.action(key) {
            Some(action) => on_action(state, action),
            None => Vec::new(),
        },
        Mode::Filter(text) => {
            on_filter_key(state, text, key);
            Vec::new()
        }
        Mode::GoTo(mut text) => {
            match key.code {
                KeyCodeKey::Enter => state.status = Some(state.go_to(&text)),
                KeyCodeKey::Esc => {}
                KeyCodeKey::Backspace => {
                    text.pop();
                    state.mode = Mode::GoTo(text);
                }
                KeyCodeKey::Char(c) if !key.ctrl && !key.alt => {
                    text.push(c);
                    state.mode = Mode::GoTo(text);
                }
                _ => state.mode = Mode::GoTo(text),
            }
            Vec::new()
        }
        Mode::Help(scroll) => {
            // Longer than the screen: movement keys scroll it; any other key closes it.
            let room = state.measured.help_room;
            let moved = match key.code {
                KeyCodeKey::Down | KeyCodeKey::Char('j') => Some(scroll.saturating_add(1)),
                KeyCodeKey::Up | KeyCodeKey::Char('k') => Some(scroll.saturating_sub(1)),
                KeyCodeKey::PageDown => Some(scroll.saturating_add(state.height / 2)),
                KeyCodeKey::PageUp => Some(scroll.saturating_sub(state.height / 2)),
                _ => None,
            };
            if let Some(scroll) = moved.filter(|_| room > 0) {
                state.mode = Mode::Help(scroll.min(room));
            }
            Vec::new()
        }
        Mode::Tuning(form) => on_tuning_key(state, form, key),
        Mode::Export => on_export_key(key),
        Mode::Pivot(pivot) => {
            super::pivot::on_key(state, *pivot, key);
            Vec::new()
        }
        Mode::Cohorts(view) => super::cohorts::on_key(state, *view, key),
        Mode::NewCampaign(name) => campaigns::on_name_key(state, name, key),
        Mode::Campaigns(view) => campaigns::on_list_key(state, view, key),
        Mode::DraftPreview | Mode::Metrics(_) | Mode::WhatChanged => Vec::new(),
        Mode::ConfirmQuit(_) => {
            if matches!(key.code, KeyCodeKey::Char('y' | 'q')) && !key.ctrl && !key.alt {
                state.quit = true;
            } else {
                state.status = Some("not quitting".into());
            }
            Vec::new()
        }
        Mode::FieldHelp(field) => {
            match key.code {
                KeyCodeKey::Tab | KeyCodeKey::Down | KeyCodeKey::Char('j') => {
                    state.mode = Mode::FieldHelp(field.step(true));
                }
                KeyCodeKey::BackTab | KeyCodeKey::Up | KeyCodeKey::Char('k') => {
                    state.mode = Mode::FieldHelp(field.step(false));
                }
                KeyCodeKey::Char('?') => state.mode = Mode::Help(0),
                _ => {}
            }
            Vec::new()
        }
        Mode::Columns(cursor) => {
            on_columns_key(state, cursor, key);
            Vec::new()
        }
        Mode::Views(popup) => {
            super::remember::on_views_key(state, *popup, key);
            Vec::new()
        }
    }
}

/// Applies a normal-mode action.
pub fn on_action(state: &mut AppState, action: Action) -> Vec<Command> {
    if state.focus == Pane::Detail && scroll_detail(state, action) {
        return Vec::new();
    }
    let page = state.list_rows().max(1) as isize;
    match action {
        Action::Quit => match state.unsaved_work() {
            Some(what) => state.mode = Mode::ConfirmQuit(what),
            None => state.quit = true,
        },
        Action::Back if state.focus != Pane::List => state.focus = Pane::List,
        // Esc closes what is open; with nothing open it never quits, and says what does.
        Action::Back => state.status = Some("nothing to close (q quits)".into()),
        Action::WhatChanged => state.mode = Mode::WhatChanged,
        Action::Columns => state.mode = Mode::Columns(0),
        Action::ShrinkList | Action::GrowList => {
            let step: i32 = if action == Action::GrowList { 5 } else { -5 };
            let (low, high) = super::state::LIST_SHARE_RANGE;
            state.list_share =
                (i32::from(state.list_share) + step).clamp(i32::from(low), i32::from(high)) as u16;
            state.scroll_to_selection();
            state.status = Some(format!("list pane {} %", state.list_share));
        }
        Action::Views => {
            state.mode = Mode::Views(Box::new(super::remember::ViewsPopup::open()));
            return vec![Command::Views(super::remember::ViewsRequest::Read)];
        }
        Action::ToggleWeeklyTable => {
            state.weekly_table = !state.weekly_table;
            state.detail_scroll = 0;
        }
        Action::MoveUp => state.move_selection(-1),
        Action::MoveDown => state.move_selection(1),
        Action::PageUp => state.move_selection(-page),
        Action::PageDown => state.move_selection(page),
        Action::HalfPageUp => state.move_selection(-(page / 2).max(1)),
        Action::HalfPageDown => state.move_selection((page / 2).max(1)),
        Action::Top => state.move_selection(isize::MIN / 2),
        Action::Bottom => state.move_selection(isize::MAX / 2),
        Action::FocusNext | Action::FocusPrevious => {
            let at = Pane::ORDER
                .iter()
                .position(|p| *p == state.focus)
                .unwrap_or(0);
            let step = if action == Action::FocusNext {
                1
            } else {
                Pane::ORDER.len() - 1
            };
            state.focus = Pane::ORDER[(at + step) % Pane::ORDER.len()];
        }
        Action::FocusDetail => state.focus = Pane::Detail,
        Action::Filter => state.mode = Mode::Filter(state.filter.clone()),
        Action::ClearFilter => {
            state.filter.clear();
            state.rebuild_view();
        }
        Action::SortNext => {
            state.sort = state.sort.next();
            state.reversed = false;
            state.rebuild_view();
        }
        Action::SortReverse => {
            state.reversed = !state.reversed;
            state.rebuild_view();
        }
        Action::ToggleHelp => state.mode = Mode::Help(0),
        Action::FieldHelp if state.selected_customer().is_none() => state.mode = Mode::Help(0),
        Action::FieldHelp => {
            state.mode = Mode::FieldHelp(super::field_help::Field::of_sort(state.sort));
        }
        Action::OpenSettings => state.mode = Mode::Tuning(Box::new(TuningForm::new(&state.config))),
        Action::Export | Action::NewCampaign | Action::MarkAll if state.list_building => {
            state.status = Some("the list is still being built; try again in a moment".into());
        }
        Action::Export => {
            if state.loaded.is_some() {
                state.mode = Mode::Export;
            } else {
                state.status = Some("nothing to export yet".into());
            }
        }
        Action::Generate => return narration::start_generation(state),
        Action::GenerateMarked => return narration::start_batch(state),
        Action::CancelGeneration => return narration::cancel_generation(state),
        Action::Suspend => return vec![Command::Suspend],
        Action::Cohorts => return super::cohorts::open(state),
        Action::GoTo => state.mode = Mode::GoTo(String::new()),
        Action::CopyId | Action::CopyRationale => return copy(state, action),
        Action::NextMatch | Action::PreviousMatch => {
            state.status = state.next_found(action == Action::NextMatch);
        }
        Action::ToggleAll => {
            state.show_all = !state.show_all;
            state.rebuild_view();
            state.status = Some(if state.show_all {
                "listing all customers".into()
            } else {
                "listing customers with a gap".into()
            });
        }
        Action::ToggleMark => campaigns::toggle_mark(state),
        Action::MarkAll => campaigns::mark_all(state),
        Action::NewCampaign => campaigns::open_new(state),
        Action::Campaigns => return campaigns::open_list(state),
        Action::Metrics => {
            state.mode = Mode::Metrics(Box::new(None));
            return vec![Command::LoadMetrics];
        }
        Action::DraftPreview => {
            if state.selected_customer().is_some() {
                state.mode = Mode::DraftPreview;
            }
        }
        Action::Pivot => match super::pivot::open(state, 0) {
            Some(pivot) => state.mode = Mode::Pivot(Box::new(pivot)),
            None => state.status = Some("no analysis yet".into()),
        },
    }
    Vec::new()
}

/// What `y` (the id) and `Y` (the rationale shown) copy, cleaned of control characters.
fn copy(state: &mut AppState, action: Action) -> Vec<Command> {
    let (Some(loaded), Some(customer)) = (&state.loaded, state.selected_customer()) else {
        state.status = Some("nothing selected".into());
        return Vec::new();
    };
    let id = crate::text::one_line(&loaded.dataset.customer_ids[customer]).into_owned();
    let (text, what) = if action == Action::CopyId {
        (id.clone(), format!("copied id {id}"))
    } else {
        let insight = loaded.analysis.insight(&loaded.dataset, customer);
        let generated = state
            .narratives
            .get(&customer)
            .and_then(|view| match &view.phase {
                NarrativePhase::Done(done) if done.is_grounded() => done.text.clone(),
                _ => None,
            });
        let text = generated.unwrap_or_else(|| {
            crate::narrative::rules::rationale(&insight, &loaded.analysis.config)
        });
        (
            crate::text::strip_control(&text),
            format!("copied the rationale of customer {id}"),
        )
    };
    state.status = Some(what);
    vec![Command::Copy(text)]
}

/// Typing a filter: the list follows every keystroke; Enter keeps it, Esc clears it, Tab
/// switches between narrowing the list and finding rows in it.
fn on_filter_key(state: &mut AppState, mut text: String, key: Key) {
    match key.code {
        KeyCodeKey::Enter => return,
        KeyCodeKey::Esc => text.clear(),
        KeyCodeKey::Backspace => {
            text.pop();
        }
        KeyCodeKey::Char(c) if !key.ctrl && !key.alt => text.push(c),
        KeyCodeKey::Tab => {
            state.narrow = !state.narrow;
            state.rebuild_view();
        }
        _ => {}
    }
    let finished = key.code == KeyCodeKey::Esc;
    if text != state.filter {
        state.filter = text.clone();
        state.rebuild_view();
    }
    if !finished {
        state.mode = Mode::Filter(text);
    }
}

/// The columns popup: j/k move, Space toggles, any other key closes.
fn on_columns_key(state: &mut AppState, cursor: usize, key: Key) {
    use super::columns::ListColumn;
    let last = ListColumn::ALL.len() - 1;
    let cursor = match key.code {
        KeyCodeKey::Down | KeyCodeKey::Char('j') => (cursor + 1).min(last),
        KeyCodeKey::Up | KeyCodeKey::Char('k') => cursor.saturating_sub(1),
        KeyCodeKey::Char(' ') => {
            let column = ListColumn::ALL[cursor];
            if state.columns.contains(&column) {
                state.columns.retain(|c| *c != column);
            } else {
                state.columns.push(column);
                state
                    .columns
                    .sort_by_key(|c| ListColumn::ALL.iter().position(|a| a == c));
            }
            cursor
        }
        _ => return,
    };
    state.mode = Mode::Columns(cursor);
}

fn on_tuning_key(state: &mut AppState, mut form: Box<TuningForm>, key: Key) -> Vec<Command> {
    match key.code {
        KeyCodeKey::Esc | KeyCodeKey::Char('q') => return Vec::new(),
        KeyCodeKey::Up | KeyCodeKey::Char('k') => form.move_cursor(-1),
        KeyCodeKey::Down | KeyCodeKey::Char('j') => form.move_cursor(1),
        KeyCodeKey::Left | KeyCodeKey::Char('h') | KeyCodeKey::Char('-') => form.adjust(-1.0),
        KeyCodeKey::Right | KeyCodeKey::Char('l') | KeyCodeKey::Char('+') => form.adjust(1.0),
        KeyCodeKey::Char('r') => *form = TuningForm::new(&Config::default()),
        KeyCodeKey::Enter => match form.validated() {
            Ok(config) if state.loaded.is_some() => {
                state.generation += 1;
                state.phase = Phase::Working {
                    progress: 0.0,
                    what: "re-analysing".into(),
                };
                state.status = Some("re-analysing with the new settings…".into());
                return vec![Command::Analyze {
                    generation: state.generation,
                    config: Box::new(config),
                }];
            }
            Ok(_) => form.error = Some("the data is still loading".into()),
            Err(problem) => form.error = Some(problem),
        },
        _ => {}
    }
    state.mode = Mode::Tuning(form);
    Vec::new()
}

fn on_export_key(key: Key) -> Vec<Command> {
    let format = match key.code {
        KeyCodeKey::Char('c') => Format::Csv,
        KeyCodeKey::Char('j') => Format::Json,
        KeyCodeKey::Char('m') => Format::Markdown,
        KeyCodeKey::Char('p') => Format::Parquet,
        _ => return Vec::new(),
    };
    vec![Command::Export(format)]
}

/// Applies what a click or the wheel asked for (`mouse::pointer_action`).
fn on_pointer(state: &mut AppState, pointer: super::mouse::Pointer) {
    use super::mouse::Pointer;
    match pointer {
        Pointer::ScrollDetail(rows) => super::scrolling::scroll_detail_by(state, rows),
        Pointer::MoveSelection(rows) => state.move_selection(rows),
        Pointer::Focus(pane) => state.focus = pane,
        Pointer::SelectRow(position) => {
            state.focus = Pane::List;
            state.selected = position;
            state.keep_customer = None;
            state.scroll_to_selection();
        }
        Pointer::SortBy(sort) => {
            state.focus = Pane::List;
            if state.sort == sort {
                state.reversed = !state.reversed;
            } else {
                state.sort = sort;
                state.reversed = false;
            }
            state.rebuild_view();
            state.status = Some(format!(
                "sorted by {}{}",
                sort.label(),
                if state.reversed { ", reversed" } else { "" }
            ));
        }
    }
}
