//! What changed since the last run: every `analyze` leaves a compact snapshot of its data
//! source (the summary, and each customer with a gap: primary gap, severity, priority, |gap|)
//! in the state directory, plus one history line; `--since-last` compares the new analysis
//! with the snapshot before replacing it. Files are written atomically and owner-only (they
//! hold customer ids).
//!
//! Location: `$REVGAP_STATE_DIR`, else the platform's state directory (`~/.local/state/revgap`),
//! one `<key>.csv` and `<key>.history.csv` per data source, the key a hash of its path.

use crate::data::Dataset;
use crate::engine::{Analysis, Severity};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// History lines kept per data source.
const HISTORY_RUNS: usize = 100;

/// The snapshots' directory.
pub fn directory() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("REVGAP_STATE_DIR").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("", "", "revgap")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .join("snapshots"),
    )
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
}

/// A data source's last snapshot and history.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub entries: Vec<Entry>,
    pub history: Vec<Run>,
}

fn key_of(source: &str) -> String {
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

/// Reads the last snapshot of `source` from `dir` (empty when there is none); without
/// `entries`, only the history (what keeping the next snapshot needs).
pub fn read(dir: &Path, source: &str, entries: bool) -> std::io::Result<Snapshot> {
    let key = key_of(source);
    let mut snapshot = Snapshot::default();
    let read_csv = |path: PathBuf| -> std::io::Result<Vec<csv::StringRecord>> {
        match std::fs::File::open(&path) {
            Ok(file) => csv::ReaderBuilder::new()
                .comment(Some(b'#'))
                .from_reader(file)
                .records()
                .map(|r| r.map_err(std::io::Error::other))
                .collect(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(error),
        }
    };
    let number = |text: &str| text.parse::<f64>().unwrap_or(0.0);
    let records = if entries {
        read_csv(dir.join(format!("{key}.csv")))?
    } else {
        Vec::new()
    };
    for record in records {
        if record.len() == 5 {
            snapshot.entries.push(Entry {
                customer_id: record[0].to_string(),
                primary_gap: record[1].to_string(),
                severity: record[2].to_string(),
                priority: number(&record[3]),
                gap: number(&record[4]),
            });
        }
    }
    for record in read_csv(dir.join(format!("{key}.history.csv")))? {
        if record.len() == 4 {
            snapshot.history.push(Run {
                taken_at: record[0].to_string(),
                as_of: record[1].to_string(),
                customers_with_gaps: record[2].parse().unwrap_or(0),
                total_revenue_gap: number(&record[3]),
            });
        }
    }
    Ok(snapshot)
}

/// Replaces the snapshot of `source` with this analysis and appends to its history.
pub fn write(
    dir: &Path,
    source: &str,
    dataset: &Dataset,
    analysis: &Analysis,
    previous: &Snapshot,
) -> std::io::Result<Run> {
    crate::atomic::private_dir(dir)?;
    let key = key_of(source);
    let run = Run {
        taken_at: chrono::Local::now().to_rfc3339(),
        as_of: analysis
            .summary
            .as_of
            .map(|d| d.to_string())
            .unwrap_or_default(),
        customers_with_gaps: analysis.summary.customers_with_gaps,
        // As the history file keeps it, so that runs compare alike.
        total_revenue_gap: crate::report::format::round(analysis.summary.total_revenue_gap, 2),
    };
    let private = crate::atomic::Access::Private;
    crate::atomic::write_with(&dir.join(format!("{key}.csv")), private, |out| {
        writeln!(out, "# revgap snapshot of {source}, {}", run.taken_at)?;
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(["customer_id", "primary_gap", "severity", "priority", "gap"])?;
        for entry in entries_of(dataset, analysis) {
            writer.write_record([
                entry.customer_id.as_str(),
                &entry.primary_gap,
                &entry.severity,
                &format!("{:.4}", entry.priority),
                &format!("{:.2}", entry.gap),
            ])?;
        }
        writer.flush()
    })?;
    let mut history: Vec<&Run> = previous.history.iter().collect();
    history.push(&run);
    let skip = history.len().saturating_sub(HISTORY_RUNS);
    crate::atomic::write_with(&dir.join(format!("{key}.history.csv")), private, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record([
            "taken_at",
            "as_of",
            "customers_with_gaps",
            "total_revenue_gap",
        ])?;
        for past in &history[skip..] {
            writer.write_record([
                past.taken_at.as_str(),
                &past.as_of,
                &past.customers_with_gaps.to_string(),
                &format!("{:.2}", past.total_revenue_gap),
            ])?;
        }
        writer.flush()
    })?;
    Ok(run)
}

/// The changes between the last snapshot and this analysis.
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
    previous: &Snapshot,
    dataset: &Dataset,
    analysis: &Analysis,
    worsened_share: f64,
) -> Changes {
    let before: HashMap<&str, &Entry> = previous
        .entries
        .iter()
        .map(|e| (e.customer_id.as_str(), e))
        .collect();
    let now = entries_of(dataset, analysis);
    let current: std::collections::HashSet<&str> =
        now.iter().map(|e| e.customer_id.as_str()).collect();
    let mut result = Changes {
        recovered: previous
            .entries
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
