//! Opening the ledger for the commands: read-only for the commands that only read (a missing
//! one is "no ledger at PATH"), the exit code each ledger failure maps to, the learned
//! recovery a ranking uses, and recording what a run asked of the model. Shared by the
//! campaign, measure, analyze and tune commands, so none of them imports another.

use super::Failure;
use super::args::LedgerArgs;
use crate::ledger::{self, Ledger, LedgerError};

/// Exit code of ledger problems (EX_CANTCREAT-like: the database could not be used).
const EXIT_LEDGER: i32 = 73;
/// A ledger a reading command was pointed at is not there (EX_NOINPUT).
const EXIT_NO_INPUT: i32 = 66;
/// The ledger may not be written (EX_NOPERM): read-only, or too old to read without writing.
const EXIT_NO_PERMISSION: i32 = 77;

pub(super) fn ledger_failure(error: LedgerError) -> Failure {
    Failure::new(
        ledger_code(&error),
        crate::text::one_line(&error.to_string()).into_owned(),
    )
}

/// The exit code of a ledger problem.
pub(super) fn ledger_code(error: &LedgerError) -> i32 {
    match error {
        LedgerError::NoCampaign(_) => 2,
        LedgerError::Missing { .. } => EXIT_NO_INPUT,
        LedgerError::ReadOnly { .. } | LedgerError::Older { .. } => EXIT_NO_PERMISSION,
        _ => EXIT_LEDGER,
    }
}

pub(super) fn open(args: &LedgerArgs) -> Result<Ledger, Failure> {
    let path = match &args.db {
        Some(path) => path.clone(),
        None => ledger::default_path().ok_or_else(|| {
            Failure::new(
                EXIT_LEDGER,
                "no data directory for the ledger; pass --db PATH",
            )
        })?,
    };
    Ledger::open(&path).map_err(ledger_failure)
}

/// The learned recovery for an analysis (see `outcome::learn`), unless `--no-learning`.
pub(super) fn learned_recovery(
    ledger: Option<&Ledger>,
    learning: &super::args::LearningArgs,
    config: &crate::config::Config,
) -> Result<Option<std::sync::Arc<crate::engine::learned::LearnedRecovery>>, Failure> {
    let Some(ledger) = ledger.filter(|_| !learning.no_learning) else {
        return Ok(None);
    };
    Ok(crate::outcome::learn::recovery_from(ledger, config)
        .map_err(ledger_failure)?
        .map(std::sync::Arc::new))
}

/// The ledger a command that only reads consults, opened read-only (never created or
/// changed): `--db PATH`, which must exist (else "no ledger at PATH", exit 66), or the default
/// ledger when there is one.
pub(super) fn open_for_reading(db: Option<&std::path::Path>) -> Result<Option<Ledger>, Failure> {
    let path = match db {
        Some(path) => path.to_path_buf(),
        None => match ledger::default_path() {
            Some(path) if path.is_file() => path,
            _ => return Ok(None),
        },
    };
    Ledger::open_read_only(&path)
        .map(Some)
        .map_err(ledger_failure)
}

/// Counts the model's use in the ledger a reading command consulted (it exists): the one
/// write such a command makes, and only a warning when the ledger may not be written.
pub(super) fn record_usage(
    db: Option<&std::path::Path>,
    command: &str,
    usage: &crate::narrative::batch::LlmUsage,
) {
    let Some(path) = db
        .map(std::path::Path::to_path_buf)
        .or_else(ledger::default_path)
    else {
        return;
    };
    let recorded = Ledger::open_existing(&path).and_then(|found| match found {
        Some(mut ledger) => ledger.record_llm_usage(command, usage),
        None => Ok(()),
    });
    if let Err(error) = recorded {
        eprintln!(
            "revgap: warning: the model's use was not counted: {}",
            crate::text::one_line(&error.to_string())
        );
    }
}

/// As [`open_for_reading`], with an empty ledger where no default ledger has been made yet
/// (no campaigns, nothing learned).
pub(super) fn open_or_empty(db: Option<&std::path::Path>) -> Result<Ledger, Failure> {
    match open_for_reading(db)? {
        Some(ledger) => Ok(ledger),
        None => Ledger::empty().map_err(ledger_failure),
    }
}

/// As [`open_for_reading`] for a command about one campaign, which needs a ledger.
pub(super) fn open_campaigns(db: Option<&std::path::Path>) -> Result<Ledger, Failure> {
    match open_for_reading(db)? {
        Some(ledger) => Ok(ledger),
        None => Err(Failure::new(
            EXIT_NO_INPUT,
            format!(
                "no ledger at {}",
                ledger::default_path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "the platform's data directory".into())
            ),
        )),
    }
}
