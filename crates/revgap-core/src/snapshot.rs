//! What changed since the last run: every `analyze` (and every explorer load) leaves a compact
//! snapshot of its data source (each customer with a gap: primary gap, severity, priority,
//! |gap|) in the state directory, plus one history line with the snapshot's digest. Changes
//! are counted against the last snapshot of *different* results, so analysing the same data
//! twice (a nightly `analyze`, then the explorer in the morning) keeps showing what changed.
//! Files are written atomically and owner-only (they hold customer ids).
//!
//! Location: `$REVGAP_STATE_DIR`, else the platform's state directory (`~/.local/state/revgap`),
//! per data source (the key a hash of its path): `<key>.csv` (the latest results),
//! `<key>.previous.csv` (the results before they last changed) and `<key>.history.csv`.

use crate::data::Dataset;
use crate::engine::{Analysis, Severity};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// History lines kept per data source.
const HISTORY_RUNS: usize = 100;

/// revgap's state directory: `$REVGAP_STATE_DIR`, else the platform's (`~/.local/state/revgap`).
/// Whether it came from the variable is returned too (snapshots sit in the variable's
/// directory itself, for compatibility, and in `snapshots/` under the platform's).
pub fn state_directory() -> Option<(PathBuf, bool)> {
    if let Some(dir) = std::env::var_os("REVGAP_STATE_DIR").filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(dir), true));
    }
    let dirs = directories::ProjectDirs::from("", "", "revgap")?;
    Some((
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
        false,
    ))
}

/// The snapshots' directory.
pub fn directory() -> Option<PathBuf> {
    let (base, from_variable) = state_directory()?;
    Some(if from_variable {
        base
    } else {
        base.join("snapshots")
    })
}

/// One customer with a gap, as a snapshot keeps them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub customer_id: String,
    pub primary_gap: String,
    pub severity: String,
    pub priority: f64,
    pub gap: f64,
}

/// One run in the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub taken_at: String,
    pub as_of: String,
    pub customers_with_gaps: usize,
    pub total_revenue_gap: f64,
    /// What the snapshot held, as a digest: equal digests, equal results.
    #[serde(skip)]
    pub digest: String,
}

/// What changes are counted against: the results before they last changed.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub entries: Vec<Entry>,
    /// The last run whose results differed from the ones compared (none: no such run).
    pub since: Option<Run>,
}

pub fn key_of(source: &str) -> String {
    use sha2::Digest;
    let canonical = std::fs::canonicalize(source)
        .map_or_else(|_| source.to_string(), |p| p.display().to_string());
    let digest = sha2::Sha256::digest(canonical.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn entries_of(dataset: &Dataset, analysis: &Analysis) -> Vec<Entry> {
    analysis
        .ranking
        .iter()
        .map(|&customer| {
            let score = &analysis.scores[customer];
            Entry {
                customer_id: dataset.customer_ids[customer].to_string(),
                primary_gap: score.primary.map_or("", |g| g.key()).to_string(),
                severity: score.primary_severity.map_or("", Severity::key).to_string(),
                priority: score.priority,
                gap: score.gap_size,
            }
        })
        .collect()
}

fn read_csv(path: &Path) -> std::io::Result<Vec<csv::StringRecord>> {
    match std::fs::File::open(path) {
        Ok(file) => csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(file)
            .records()
            .map(|r| r.map_err(std::io::Error::other))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

fn number(text: &str) -> f64 {
    text.parse::<f64>().unwrap_or(0.0)
}

/// The runs of `source` kept in `dir`, oldest first (none when there are none).
pub fn read_history(dir: &Path, source: &str) -> std::io::Result<Vec<Run>> {
    let key = key_of(source);
    let mut history = Vec::new();
    for record in read_csv(&dir.join(format!("{key}.history.csv")))? {
        // Four columns before digests were kept: such runs compare as different.
        if record.len() >= 4 {
            history.push(Run {
                taken_at: record[0].to_string(),
                as_of: record[1].to_string(),
                customers_with_gaps: record[2].parse().unwrap_or(0),
                total_revenue_gap: number(&record[3]),
                digest: record.get(4).unwrap_or("").to_string(),
            });
        }
    }
    Ok(history)
}

/// What results with `digest` are compared with, given the runs kept so far.
pub fn baseline(
    dir: &Path,
    source: &str,
    digest: &str,
    history: &[Run],
) -> std::io::Result<Baseline> {
    let key = key_of(source);
    // The latest snapshot holds these very results: compare with the one before it.
    let same = history.last().is_some_and(|run| run.digest == digest);
    let file = if same {
        format!("{key}.previous.csv")
    } else {
        format!("{key}.csv")
    };
    let entries = read_csv(&dir.join(file))?
        .into_iter()
        .filter(|record| record.len() == 5)
        .map(|record| Entry {
            customer_id: record[0].to_string(),
            primary_gap: record[1].to_string(),
            severity: record[2].to_string(),
            priority: number(&record[3]),
            gap: number(&record[4]),
        })
        .collect();
    let since = history
        .iter()
        .rev()
        .find(|run| run.digest != digest)
        .cloned();
    Ok(Baseline { entries, since })
}

/// A snapshot's rows as written, each handed to `row`.
fn for_each_row(
    dataset: &Dataset,
    analysis: &Analysis,
    mut row: impl FnMut([&str; 5]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (mut priority, mut gap) = (String::new(), String::new());
    for &customer in &analysis.ranking {
        use std::fmt::Write;
        let score = &analysis.scores[customer];
        priority.clear();
        gap.clear();
        let _ = write!(priority, "{:.4}", score.priority);
        let _ = write!(gap, "{:.2}", score.gap_size);
        row([
            &dataset.customer_ids[customer],
            score.primary.map_or("", |g| g.key()),
            score.primary_severity.map_or("", Severity::key),
            &priority,
            &gap,
        ])?;
    }
    Ok(())
}

/// Adds one row to a digest, unambiguously (fields and rows delimited).
fn digest_row(hasher: &mut sha2::Sha256, fields: [&str; 5]) {
    use sha2::Digest;
    for field in fields {
        hasher.update(field.as_bytes());
        hasher.update([0x1f]);
    }
    hasher.update([0x1e]);
}

fn hex(hasher: sha2::Sha256) -> String {
    use sha2::Digest;
    hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest a snapshot of this analysis would have (for reading without writing).
pub fn digest(dataset: &Dataset, analysis: &Analysis) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let _ = for_each_row(dataset, analysis, |fields| {
        digest_row(&mut hasher, fields);
        Ok(())
    });
    hex(hasher)
}

/// Keeps this analysis as the latest snapshot of `source` and appends it to the history;
/// when its results differ from the latest snapshot's, that one becomes the previous.
pub fn write(
    dir: &Path,
    source: &str,
    dataset: &Dataset,
    analysis: &Analysis,
    history: &[Run],
) -> std::io::Result<Run> {
    use sha2::Digest;
    crate::atomic::private_dir(dir)?;
    let key = key_of(source);
    let mut run = Run {
        taken_at: chrono::Local::now().to_rfc3339(),
        as_of: analysis
            .summary
            .as_of
            .map(|d| d.to_string())
            .unwrap_or_default(),
        customers_with_gaps: analysis.summary.customers_with_gaps,
        // As the history file keeps it, so that runs compare alike.
        total_revenue_gap: crate::report::format::round(analysis.summary.total_revenue_gap, 2),
        digest: String::new(),
    };
    let private = crate::atomic::Access::Private;
    let latest = dir.join(format!("{key}.csv"));
    // A name of this run's own: runs of the same data at once must not take each other's.
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run_number = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let next = dir.join(format!(
        "{key}.next-{}-{run_number}.csv",
        std::process::id()
    ));
    let mut hasher = sha2::Sha256::new();
    crate::atomic::write_with(&next, private, |out| {
        writeln!(out, "# revgap snapshot of {source}, {}", run.taken_at)?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["customer_id", "primary_gap", "severity", "priority", "gap"])?;
        for_each_row(dataset, analysis, |fields| {
            digest_row(&mut hasher, fields);
            writer.write_record(fields).map_err(std::io::Error::other)
        })?;
        writer.flush()
    })?;
    run.digest = hex(hasher);
    let changed = history.last().is_none_or(|last| last.digest != run.digest);
    if changed {
        // Each file is whole at every moment: a rename replaces one complete file by another.
        // Another run of the same data may have moved it already; that is no failure.
        match std::fs::rename(&latest, dir.join(format!("{key}.previous.csv"))) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&next);
                return Err(error);
            }
            _ => {}
        }
    }
    std::fs::rename(&next, &latest)?;
    let mut kept: Vec<&Run> = history.iter().collect();
    kept.push(&run);
    let skip = kept.len().saturating_sub(HISTORY_RUNS);
    crate::atomic::write_with(&dir.join(format!("{key}.history.csv")), private, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record([
            "taken_at",
            "as_of",
            "customers_with_gaps",
            "total_revenue_gap",
            "digest",
        ])?;
        for past in &kept[skip..] {
            writer.write_record([
                past.taken_at.as_str(),
                &past.as_of,
                &past.customers_with_gaps.to_string(),
                &format!("{:.2}", past.total_revenue_gap),
                &past.digest,
            ])?;
        }
        writer.flush()
    })?;
    Ok(run)
}

/// The changes between a baseline and this analysis.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Changes {
    /// With a gap now, none before.
    pub new: Vec<Entry>,
    /// With a gap before and now, the gap more severe or grown by `worsened_share` or more.
    pub worsened: Vec<Entry>,
    /// With a gap before, none now.
    pub recovered: Vec<Entry>,
    pub unchanged: usize,
    /// The history, oldest first, this run last.
    pub runs: Vec<Run>,
}

/// Compares `previous` with this analysis; lists are in the new ranking's order (recovered in
/// the old one's).
pub fn changes(
    previous: &[Entry],
    dataset: &Dataset,
    analysis: &Analysis,
    worsened_share: f64,
) -> Changes {
    let before: HashMap<&str, &Entry> = previous
        .iter()
        .map(|e| (e.customer_id.as_str(), e))
        .collect();
    let now = entries_of(dataset, analysis);
    let current: std::collections::HashSet<&str> =
        now.iter().map(|e| e.customer_id.as_str()).collect();
    let mut result = Changes {
        recovered: previous
            .iter()
            .filter(|e| !current.contains(e.customer_id.as_str()))
            .cloned()
            .collect(),
        ..Changes::default()
    };
    for entry in &now {
        match before.get(entry.customer_id.as_str()) {
            None => result.new.push(entry.clone()),
            Some(old)
                if severity_rank(&entry.severity) > severity_rank(&old.severity)
                    || entry.gap >= old.gap * (1.0 + worsened_share) + 0.005 =>
            {
                result.worsened.push(entry.clone());
            }
            Some(_) => result.unchanged += 1,
        }
    }
    result
}

/// Eight-level bars for a series (empty for fewer than two values).
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.len() < 2 {
        return String::new();
    }
    let (low, high) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    values
        .iter()
        .map(|v| {
            let share = if high > low {
                (v - low) / (high - low)
            } else {
                0.5
            };
            BARS[((share * 7.0).round() as usize).min(7)]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_span_the_range() {
        assert_eq!(sparkline(&[1.0, 2.0, 3.0]), "▁▅█");
        assert_eq!(sparkline(&[5.0, 5.0]), "▅▅");
        assert_eq!(sparkline(&[5.0]), "");
    }
}
