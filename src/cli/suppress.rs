//! `revgap suppress import | list`: the CLI over the ledger's suppression list
//! (`campaign::suppress` reads files and matches addresses).

use super::Failure;
use super::args::{CampaignFormat, LedgerArgs, SuppressCommand, SuppressImportArgs};
use super::ledger_open::{ledger_failure, open, open_or_empty};
use std::fmt::Write as _;

pub fn run(command: &SuppressCommand) -> Result<(), Failure> {
    match command {
        SuppressCommand::Import(args) => import(args),
        SuppressCommand::List(args) => list(args),
    }
}

fn import(args: &SuppressImportArgs) -> Result<(), Failure> {
    let today = chrono::Local::now().date_naive().to_string();
    // Read whole first: a bad row adds nothing.
    let entries = crate::campaign::suppress::read_file(&args.file, &args.reason, &today).map_err(
        |error| {
            let code = match error {
                crate::campaign::input_file::InputFileError::Read { .. } => 66,
                _ => 65,
            };
            Failure::new(code, error)
        },
    )?;
    let mut ledger = open(&LedgerArgs {
        db: args.db.clone(),
        format: CampaignFormat::Text,
    })?;
    let added = ledger.add_suppressions(&entries).map_err(ledger_failure)?;
    eprintln!(
        "revgap: suppression list: {added} added, {} already listed ({} in the file)",
        entries.len() - added,
        entries.len()
    );
    Ok(())
}

fn list(args: &LedgerArgs) -> Result<(), Failure> {
    let entries = open_or_empty(args.db.as_deref())?
        .suppression_list()
        .map_err(ledger_failure)?;
    let text = match args.format {
        CampaignFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({ "suppressions": entries }))
                .unwrap_or_default()
        ),
        CampaignFormat::Text => {
            let mut out = String::from(
                "kind         value                           reason          added       source\n",
            );
            for entry in &entries {
                let _ = writeln!(
                    out,
                    "{:<12} {:<31} {:<15} {:<11} {}",
                    entry.kind,
                    crate::text::one_line(&entry.value),
                    crate::text::one_line(&entry.reason),
                    entry.added_at,
                    crate::text::one_line(&entry.source)
                );
            }
            out
        }
    };
    super::write_output(None, &text)
}
