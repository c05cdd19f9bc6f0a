//! Writing the explorer's current view (filtered and sorted, or the marked customers) as CSV,
//! JSON, markdown or Parquet, streamed and atomic, with every attribute and any generated
//! text (labelled by source), and a settings sidecar that records what produced it: the data
//! files, the as-of date, the view, the thresholds tuned in the explorer and the whole
//! configuration. Each export gets a name no other export has.

use super::state::Loaded;
use crate::config::Config;
use crate::narrative::generate::Generated;
use crate::report::{self, Format, ReportContext};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What produced an export, as its sidecar records it.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRecord {
    /// The export's file name (beside the sidecar).
    pub file: String,
    pub format: String,
    pub rows: usize,
    /// Which rows: the view as filtered and sorted, or the marked customers.
    pub rows_are: String,
    pub exported_at: String,
    pub revgap_version: String,
    /// The data files, by kind (`weekly`, `transactions`, `customers`).
    pub data_files: BTreeMap<String, String>,
    pub as_of: String,
    pub filter: String,
    pub sort: String,
    pub reversed: bool,
    pub all_customers: bool,
    /// Thresholds and weights tuned in the explorer (config key → value); empty when none.
    pub tuned_in_explorer: BTreeMap<String, f64>,
    /// Customers whose rationale is model-written text in this export.
    pub generated_texts: usize,
}

#[derive(Serialize)]
struct Sidecar<'a> {
    export: &'a ExportRecord,
    /// The configuration the numbers come from (loadable as a `--config` file's content).
    config: &'a Config,
}

impl ExportRecord {
    /// The record of an export of `state` now (file, rows and as-of are filled in on writing).
    pub fn of(
        state: &super::state::AppState,
        base: &Config,
        data_files: &BTreeMap<String, String>,
        exported_at: String,
    ) -> Self {
        Self {
            file: String::new(),
            format: String::new(),
            rows: 0,
            rows_are: if state.marked.is_empty() {
                "the view, filtered and sorted".into()
            } else {
                "the marked customers, in view order".into()
            },
            exported_at,
            revgap_version: env!("CARGO_PKG_VERSION").into(),
            data_files: data_files.clone(),
            as_of: String::new(),
            filter: state.filter.clone(),
            sort: state.sort.key().into(),
            reversed: state.reversed,
            all_customers: state.show_all,
            tuned_in_explorer: super::tuning::tuned_fields(&state.config, base),
            generated_texts: 0,
        }
    }
}

/// The generated texts finished this session, by customer.
pub fn finished_narratives(state: &super::state::AppState) -> HashMap<usize, Generated> {
    state
        .narratives
        .iter()
        .filter_map(|(customer, view)| match &view.phase {
            super::state::NarrativePhase::Done(generated) => {
                Some((*customer, (**generated).clone()))
            }
            _ => None,
        })
        .collect()
}

/// Reserves a name no file has yet: `<stem>.<ext>`, else `<stem>-2.<ext>`, … (created empty
/// here, so two exports at once never take the same one).
fn reserve(directory: &Path, stem: &str, extension: &str) -> Result<PathBuf, String> {
    for n in 1..10_000 {
        let path = match n {
            1 => directory.join(format!("{stem}.{extension}")),
            n => directory.join(format!("{stem}-{n}.{extension}")),
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(format!("{}: {error}", path.display())),
        }
    }
    Err(format!("{}: no free export name", directory.display()))
}

/// Writes an opened campaign as the campaigns view shows it: one CSV row per member (id, arm,
/// channel, offer, delivery, draft verdict) after a `#` line with the campaign and its
/// measured result; streamed, atomic, formula cells neutralised. Returns the file's path.
pub fn write_campaign(
    detail: &super::campaigns::CampaignDetail,
    directory: &Path,
    stamp: &str,
) -> Result<PathBuf, String> {
    let campaign = &detail.campaign;
    let stem = format!(
        "revgap-campaign-{}-{}",
        campaign.campaign_id,
        stamp.replace([' ', ':'], "-")
    );
    let path = reserve(directory, &stem, "csv")?;
    let written = crate::atomic::write_with(&path, crate::atomic::Access::Private, |out| {
        std::io::Write::write_fmt(
            out,
            format_args!(
                "# campaign {} \"{}\": {}\n",
                campaign.campaign_id,
                crate::text::one_line(&campaign.name),
                detail.result_line()
            ),
        )?;
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record([
            "customer_id",
            "arm",
            "channel",
            "offer",
            "delivery",
            "draft",
        ])
        .map_err(std::io::Error::other)?;
        for row in &detail.roster {
            csv.write_record([
                crate::text::csv_cell(&row.customer_id).as_ref(),
                row.arm.key(),
                row.channel.as_deref().unwrap_or(""),
                row.offer.as_deref().unwrap_or(""),
                crate::text::csv_text_cell(&row.delivery()).as_ref(),
                row.draft_verdict(),
            ])
            .map_err(std::io::Error::other)?;
        }
        csv.flush()?;
        Ok(())
    });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&path);
        return Err(format!("{}: {error}", path.display()));
    }
    Ok(path)
}

/// Writes `customers` (dataset indices, in view order) into `directory` with its sidecar;
/// returns the export's path.
pub fn write_view(
    loaded: &Loaded,
    customers: &[u32],
    format: Format,
    directory: &Path,
    narratives: &HashMap<usize, Generated>,
    record: &mut ExportRecord,
) -> Result<PathBuf, String> {
    let customers: Vec<usize> = customers.iter().map(|c| *c as usize).collect();
    let context = ReportContext {
        dataset: &loaded.dataset,
        analysis: &loaded.analysis,
        config: &loaded.analysis.config,
        customers: &customers,
        generated_at: record.exported_at.clone(),
        narratives: Some(narratives),
    };
    let stem = format!(
        "revgap-view-{}",
        record.exported_at.replace([' ', ':'], "-")
    );
    let path = reserve(directory, &stem, format.extension())?;
    let written = crate::atomic::write_with(&path, crate::atomic::Access::Private, |out| {
        if format == Format::Parquet {
            report::parquet::write(&context, report::Options::EXPORT, out)
        } else {
            report::write(format, &context, report::Options::EXPORT, out)
        }
    });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&path);
        return Err(format!("{}: {error}", path.display()));
    }
    record.file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    record.format = format.extension().to_string();
    record.rows = customers.len();
    record.generated_texts = customers
        .iter()
        .filter(|c| narratives.get(c).is_some_and(|g| g.text.is_some()))
        .count();
    record.as_of = loaded
        .analysis
        .summary
        .as_of
        .map(|d| d.to_string())
        .unwrap_or_default();
    let sidecar = path.with_extension(format!("{}.settings.toml", format.extension()));
    let text = toml::to_string(&Sidecar {
        export: record,
        config: &loaded.analysis.config,
    })
    .map_err(|e| format!("{}: {e}", sidecar.display()))?;
    let header = format!(
        "# What produced {}: load [config] as a --config file to reproduce its numbers.\n",
        record.file
    );
    crate::atomic::write(
        &sidecar,
        crate::atomic::Access::Private,
        format!("{header}{text}").as_bytes(),
    )
    .map_err(|e| format!("{}: {e}", sidecar.display()))?;
    Ok(path)
}
