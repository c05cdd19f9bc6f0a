//! The one send loop every route uses: claim a member's action in the ledger, try it with
//! retries and backoff, record every attempt, and keep to the send's deadline; members another
//! sender holds are come back to until they are delivered or their claim lapses. A progress
//! line goes to stderr every two seconds once a send runs longer than that.
//!
//! Owns the loop and the progress line; the route (webhook, SMTP) only says how one attempt
//! went. Uses the ledger and nothing above it.

use super::{Due, Outcome, Retry, Stop};
use crate::ledger::{Claim, Ledger, LedgerError};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How one attempt to deliver one member went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        status: Option<u16>,
    },
    /// Worth trying again: after `wait` when the other side asked for one.
    Transient {
        status: Option<u16>,
        error: String,
        wait: Option<Duration>,
    },
    /// Not worth trying again in this run (a redirect, a 4xx): the member stays pending.
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// Refused for good (an SMTP 5xx, a bad address): not retried in this run.
    Refused {
        status: Option<u16>,
        error: String,
    },
    /// The endpoint is gone (410): the whole send stops.
    Gone {
        status: Option<u16>,
    },
}

/// How a send runs: retries per member, the deadline of the whole send, the claim each
/// sender takes on a member while it sends it, and who this sender is.
#[derive(Debug, Clone)]
pub struct SendPolicy {
    pub retry: Retry,
    pub deadline: Duration,
    /// How long a claim holds without renewal: long enough for one attempt and one wait, so
    /// a live sender never loses it, short enough that a dead sender's members are taken over.
    pub lease: Duration,
    pub owner: String,
    /// When the progress line starts.
    pub progress_after: Duration,
}

impl SendPolicy {
    pub fn new(retry: Retry, deadline: Duration) -> Self {
        Self {
            retry,
            deadline,
            // Renewed before every attempt and every wait: it covers the longer of the two.
            lease: retry.timeout.max(retry.max_wait) + Duration::from_secs(15),
            owner: owner::this_process(),
            progress_after: Duration::from_secs(2),
        }
    }
}

/// Who holds a claim: `host:pid:started-at`, so a sender on this host can tell that the
/// holder has died (a kill -9) and take its members over without waiting for the lease.
mod owner {
    pub fn this_process() -> String {
        format!(
            "{}:{}:{}",
            host(),
            std::process::id(),
            chrono::Utc::now().timestamp_millis()
        )
    }

    fn host() -> String {
        let mut name = [0u8; 256];
        // SAFETY: gethostname writes at most `len` bytes into the buffer we own.
        let written = unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) };
        if written != 0 {
            return "unknown".into();
        }
        let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
        String::from_utf8_lossy(&name[..end]).replace(':', "_")
    }

    /// Whether `owner` is a process of this host that no longer runs. A reused pid reads as
    /// alive: the claim then waits for its lease, never the other way round.
    pub fn is_dead(owner: &str) -> bool {
        let mut parts = owner.split(':');
        let (Some(host_name), Some(pid)) = (parts.next(), parts.next()) else {
            return false;
        };
        let Ok(pid) = pid.parse::<libc::pid_t>() else {
            return false;
        };
        if host_name != host() || pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only checks that the process exists; nothing is sent.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        !alive && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
}

/// What the progress line shows.
#[derive(Debug, Clone, Default)]
struct Progress {
    pub total: usize,
    pub done: usize,
    pub failing: usize,
    pub last_error: Option<String>,
}

impl Progress {
    fn line(&self, campaign_id: i64, elapsed: Duration) -> String {
        let mut line = format!(
            "revgap: campaign {campaign_id}: {} of {} done, {} to go, {} failing ({} s)",
            self.done,
            self.total,
            self.total.saturating_sub(self.done),
            self.failing,
            elapsed.as_secs()
        );
        if let Some(error) = &self.last_error {
            line.push_str(&format!("; last error: {error}"));
        }
        line
    }
}

/// One member in the queue: when it may next be tried (another sender held it).
struct Queued<'a> {
    due: Due<'a>,
    not_before: Instant,
}

/// Delivers `due` members with `send` (one attempt: the member and the time it may take),
/// as `policy` says, adding to `outcome`.
pub fn deliver<'a>(
    ledger: &mut Ledger,
    campaign_id: i64,
    due: Vec<Due<'a>>,
    policy: &SendPolicy,
    outcome: &mut Outcome,
    mut send: impl FnMut(&Due<'a>, Duration) -> Attempt,
) -> Result<(), LedgerError> {
    let started = Instant::now();
    let ends = started + policy.deadline;
    let progress = Arc::new(Mutex::new(Progress {
        total: due.len(),
        ..Progress::default()
    }));
    let (finished, wait_for_end) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let shown = Arc::clone(&progress);
        let after = policy.progress_after;
        scope.spawn(move || {
            let mut next = after;
            loop {
                match wait_for_end.recv_timeout(next.saturating_sub(started.elapsed())) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        let line = lock(&shown).line(campaign_id, started.elapsed());
                        eprintln!("{line}");
                        next += Duration::from_secs(2);
                    }
                    _ => return,
                }
            }
        });
        let result = run(ledger, due, policy, ends, outcome, &mut send, &progress);
        drop(finished);
        result
    })
}

fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    progress.lock().unwrap_or_else(|p| p.into_inner())
}

fn run<'a>(
    ledger: &mut Ledger,
    due: Vec<Due<'a>>,
    policy: &SendPolicy,
    ends: Instant,
    outcome: &mut Outcome,
    send: &mut impl FnMut(&Due<'a>, Duration) -> Attempt,
    progress: &Mutex<Progress>,
) -> Result<(), LedgerError> {
    let now = Instant::now();
    let mut queue: VecDeque<Queued<'a>> = due
        .into_iter()
        .map(|due| Queued {
            due,
            not_before: now,
        })
        .collect();
    let settled = |progress: &Mutex<Progress>| lock(progress).done += 1;
    while let Some(next) = queue.pop_front() {
        if Instant::now() >= ends {
            queue.push_front(next);
            break;
        }
        if next.not_before > Instant::now() {
            // A member another sender held: look again when it is due (the queue is in the
            // order members become due).
            std::thread::sleep(
                next.not_before
                    .min(ends)
                    .saturating_duration_since(Instant::now()),
            );
            queue.push_front(next);
            continue;
        }
        let id = next.due.action.id;
        match ledger.claim(id, &policy.owner, policy.lease)? {
            Claim::Delivered => {
                outcome.delivered_elsewhere += 1;
                settled(progress);
                continue;
            }
            Claim::Held { by, .. }
                if owner::is_dead(&by)
                    && ledger.take_over(id, &by, &policy.owner, policy.lease)? =>
            {
                tracing::info!(action = id, from = %by, "took over a dead sender's member");
            }
            Claim::Held { .. } => {
                queue.push_back(Queued {
                    due: next.due,
                    not_before: Instant::now() + Duration::from_millis(200),
                });
                continue;
            }
            Claim::Mine => {}
        }
        let ended = attempts(ledger, &next.due, policy, ends, outcome, send, progress)?;
        ledger.release(id, &policy.owner)?;
        settled(progress);
        if let Some(reason) = ended {
            outcome.stopped = Some(reason);
            break;
        }
    }
    if outcome.stopped.is_none() && !queue.is_empty() {
        outcome.stopped = Some(Stop::Deadline(policy.deadline.as_secs()));
    }
    for left in queue {
        outcome.pending += 1;
        if matches!(
            ledger.claim(left.due.action.id, &policy.owner, Duration::ZERO)?,
            Claim::Held { .. }
        ) {
            outcome.held_elsewhere += 1;
        } else {
            ledger.release(left.due.action.id, &policy.owner)?;
        }
    }
    Ok(())
}

/// Tries one claimed member until delivered, refused, out of attempts or out of time;
/// `Some(reason)` when the whole send must stop.
fn attempts<'a>(
    ledger: &mut Ledger,
    due: &Due<'a>,
    policy: &SendPolicy,
    ends: Instant,
    outcome: &mut Outcome,
    send: &mut impl FnMut(&Due<'a>, Duration) -> Attempt,
    progress: &Mutex<Progress>,
) -> Result<Option<Stop>, LedgerError> {
    let retry = policy.retry;
    let id = due.action.id;
    let mut last_error = None;
    for attempt in 0..retry.attempts {
        let left = ends.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // Renewed before every attempt: the lease covers this attempt and the wait after it.
        if ledger.claim(id, &policy.owner, policy.lease)? != Claim::Mine {
            // Lost (this sender stalled past its lease and another took over): theirs now.
            outcome.held_elsewhere += 1;
            outcome.pending += 1;
            return Ok(None);
        }
        let tried = send(due, retry.timeout.min(left));
        let (status, error) = match &tried {
            Attempt::Delivered { status } => (*status, None),
            Attempt::Gone { status } => (*status, Some("410 Gone".to_string())),
            Attempt::Transient { status, error, .. }
            | Attempt::Failed { status, error }
            | Attempt::Refused { status, error } => (*status, Some(error.clone())),
        };
        let delivered = matches!(tried, Attempt::Delivered { .. });
        ledger.record_attempt(id, status, error.as_deref(), delivered)?;
        match tried {
            Attempt::Delivered { .. } => {
                outcome.delivered_now += 1;
                return Ok(None);
            }
            Attempt::Gone { .. } => {
                outcome.pending += 1;
                return Ok(Some(Stop::Gone));
            }
            Attempt::Refused { error, .. } => {
                outcome.refused += 1;
                outcome.last_error = Some(error.clone());
                lock(progress).failing += 1;
                lock(progress).last_error = Some(error);
                return Ok(None);
            }
            Attempt::Failed { error, .. } => {
                last_error = Some(error);
                break;
            }
            Attempt::Transient { error, wait, .. } => {
                lock(progress).last_error = Some(error.clone());
                last_error = Some(error);
                if let Some(asked) = wait.filter(|asked| *asked > retry.max_wait) {
                    outcome.pending += 1;
                    outcome.last_error = last_error;
                    return Ok(Some(Stop::AskedToWait {
                        asked: asked.as_secs(),
                        longest: retry.max_wait.as_secs(),
                    }));
                }
                if attempt + 1 == retry.attempts {
                    break;
                }
                let pause = retry.wait(attempt, wait);
                if Instant::now() + pause >= ends {
                    break;
                }
                ledger.claim(id, &policy.owner, policy.lease)?;
                std::thread::sleep(pause);
            }
        }
    }
    outcome.pending += 1;
    lock(progress).failing += 1;
    if let Some(error) = last_error {
        outcome.last_error = Some(error);
    }
    Ok(None)
}
