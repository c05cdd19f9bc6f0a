//! The rationale panel's model requests, as state: starting one for the selected customer (or
//! the rule-based text when the model is unavailable), a batch for the marked customers,
//! cancelling, and applying streamed tokens, retries and finished answers. The requests
//! themselves run in `commands`.

use super::campaigns;
use super::msg::{Command, LlmUpdate};
use super::state::{AppState, BatchView, NarrativePhase, NarrativeView};
use crate::narrative::client::LlmEvent;
use crate::narrative::generate::Generated;

/// Starts a request for the selected customer (one at a time: a running one is cancelled).
pub(super) fn start_generation(state: &mut AppState) -> Vec<Command> {
    let Some(customer) = state.selected_customer() else {
        return Vec::new();
    };
    state.last_request += 1;
    let request = state.last_request;
    if let Some(reason) = state.llm_unavailable.clone() {
        let fallback = Generated::fallback(reason, None, None);
        state.narratives.insert(
            customer,
            NarrativeView {
                request,
                phase: NarrativePhase::Done(Box::new(fallback)),
            },
        );
        return Vec::new();
    }
    let mut commands = cancel_generation(state);
    state.narratives.insert(
        customer,
        NarrativeView {
            request,
            phase: NarrativePhase::Streaming {
                text: String::new(),
                tokens: 0,
                retry: None,
            },
        },
    );
    state.active_request = Some((request, customer));
    commands.push(Command::Generate { request, customer });
    commands
}

/// `R`: narratives for every marked customer, in list order (one batch at a time).
pub(super) fn start_batch(state: &mut AppState) -> Vec<Command> {
    if let Some(reason) = &state.llm_unavailable {
        state.status = Some(format!("LLM unavailable: {reason}"));
        return Vec::new();
    }
    if state.marked.is_empty() {
        state.status = Some("mark customers first (Space marks one, * all listed)".into());
        return Vec::new();
    }
    if state.batch.as_ref().is_some_and(|b| !b.finished) {
        state.status = Some("a batch is running (c cancels it)".into());
        return Vec::new();
    }
    let customers: Vec<usize> = campaigns::chosen(state)
        .into_iter()
        .map(|c| c as usize)
        .collect();
    state.last_request += 1;
    let request = state.last_request;
    state.batch = Some(BatchView {
        request,
        total: customers.len(),
        done: 0,
        refused: 0,
        grounded: 0,
        failures: Default::default(),
        finished: false,
        cancelled: false,
    });
    vec![Command::GenerateBatch { request, customers }]
}

/// `c`: cancels the running batch, else the selected customer's request (its text so far
/// stays, marked cancelled).
pub(super) fn cancel_generation(state: &mut AppState) -> Vec<Command> {
    if let Some(batch) = state.batch.as_mut().filter(|b| !b.finished) {
        batch.finished = true;
        batch.cancelled = true;
        state.status = Some(format!(
            "LLM batch cancelled: {} of {} done",
            batch.done, batch.total
        ));
        return vec![Command::Cancel(batch.request)];
    }
    let Some((request, customer)) = state.active_request.take() else {
        return Vec::new();
    };
    if let Some(view) = state.narratives.get_mut(&customer)
        && view.request == request
        && let NarrativePhase::Streaming { text, .. } = &view.phase
    {
        view.phase = NarrativePhase::Cancelled { text: text.clone() };
    }
    vec![Command::Cancel(request)]
}

/// Applies a request's progress, if it is still the one shown for that customer.
pub(super) fn on_llm(state: &mut AppState, request: u64, customer: usize, update: LlmUpdate) {
    let Some(view) = state.narratives.get_mut(&customer) else {
        return;
    };
    if view.request != request {
        return;
    }
    match (update, &mut view.phase) {
        (
            LlmUpdate::Event(LlmEvent::Token(token)),
            NarrativePhase::Streaming {
                text,
                tokens,
                retry,
            },
        ) => {
            text.push_str(&token);
            *tokens += 1;
            *retry = None;
        }
        (
            LlmUpdate::Event(LlmEvent::Retrying {
                attempt,
                reason,
                wait,
            }),
            NarrativePhase::Streaming { retry, .. },
        ) => {
            *retry = Some(format!(
                "retrying ({reason}, attempt {attempt}, in {:.1} s)",
                wait.as_secs_f64()
            ));
        }
        (LlmUpdate::Finished(generated), NarrativePhase::Streaming { .. }) => {
            state.grounding_failures += usize::from(failed_grounding(&generated));
            view.phase = NarrativePhase::Done(generated);
            if state.active_request == Some((request, customer)) {
                state.active_request = None;
            }
        }
        _ => {}
    }
}

/// A batch's narrative for one customer, if the batch is still the one running.
pub(super) fn on_batch_item(
    state: &mut AppState,
    request: u64,
    customer: usize,
    generated: Box<Generated>,
) {
    let Some(batch) = running(&mut state.batch, request) else {
        return;
    };
    batch.done += 1;
    if generated.is_grounded() {
        batch.grounded += 1;
    } else {
        *batch.failures.entry(failure_kind(&generated)).or_default() += 1;
    }
    tracing::info!(
        done = batch.done,
        total = batch.total,
        grounded = batch.grounded,
        reason = generated.fallback_reason.as_deref().unwrap_or(""),
        "LLM batch item"
    );
    state.grounding_failures += usize::from(failed_grounding(&generated));
    state.narratives.insert(
        customer,
        NarrativeView {
            request,
            phase: NarrativePhase::Done(generated),
        },
    );
}

/// The end of a batch: its counts on the status line.
pub(super) fn on_batch_finished(state: &mut AppState, request: u64, refused: usize) {
    let Some(batch) = running(&mut state.batch, request) else {
        return;
    };
    batch.finished = true;
    batch.refused = refused;
    state.status = Some(batch_outcome(batch));
}

/// "LLM batch: 3 requested: 1 grounded, 2 failed (stalled 2)": what happened to each request,
/// never a bare "done" count.
pub fn batch_outcome(batch: &BatchView) -> String {
    let failed: usize = batch.failures.values().sum();
    let mut text = format!(
        "LLM batch: {} requested: {} grounded",
        batch.total, batch.grounded
    );
    if failed > 0 {
        let reasons: Vec<String> = batch
            .failures
            .iter()
            .map(|(reason, count)| format!("{reason} {count}"))
            .collect();
        text.push_str(&format!(", {failed} failed ({})", reasons.join(", ")));
    }
    let missing = batch.total.saturating_sub(batch.grounded + failed);
    if missing > 0 {
        text.push_str(&format!(", {missing} without an answer"));
    }
    text
}

/// Why a batch item has no grounded text, in a few words for the status line.
fn failure_kind(generated: &Generated) -> String {
    if failed_grounding(generated) {
        return "rejected by the grounding check".into();
    }
    let reason = generated.fallback_reason.as_deref().unwrap_or("no text");
    if generated.stalled {
        "stalled".into()
    } else if reason.contains("token budget") {
        "refused by the token budget".into()
    } else if reason.contains("token limit") {
        "cut at the token limit".into()
    } else {
        let first = reason.split(':').next().unwrap_or(reason);
        crate::text::cut_to(&crate::text::one_line(first), 40).into_owned()
    }
}

/// The batch of `request`, unless another has replaced it or it was cancelled (late answers
/// of a cancelled batch are dropped).
fn running(batch: &mut Option<BatchView>, request: u64) -> Option<&mut BatchView> {
    batch
        .as_mut()
        .filter(|batch| batch.request == request && !batch.cancelled)
}

/// Model text that failed its grounding check (counted on the status line).
fn failed_grounding(generated: &Generated) -> bool {
    generated
        .grounding
        .as_ref()
        .is_some_and(|g| !g.is_grounded())
}
