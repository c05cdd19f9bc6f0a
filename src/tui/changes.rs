//! What changed since the results last changed, in the explorer: each customer's mark (new
//! gap, worsened, recovered), the counts, the runs for the sparklines, and the `changed:`
//! filter term. The snapshot files and the comparison are `crate::snapshot`'s; this keeps
//! one byte per customer so the marks cost nothing to draw or filter at any size.

use crate::data::Dataset;
use crate::engine::Analysis;
use crate::snapshot::{self, Entry, Run};
use std::path::Path;
use std::sync::Arc;

/// A customer's change since the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Change {
    Unchanged = 0,
    New = 1,
    Worsened = 2,
    Recovered = 3,
}

impl Change {
    fn from_byte(byte: u8) -> Self {
        match byte {
            1 => Self::New,
            2 => Self::Worsened,
            3 => Self::Recovered,
            _ => Self::Unchanged,
        }
    }

    /// The list's glyph for it.
    pub fn glyph(self) -> &'static str {
        match self {
            Self::Unchanged => "",
            Self::New => "+",
            Self::Worsened => "▲",
            Self::Recovered => "✓",
        }
    }
}

/// The marks of one analysis against a baseline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeMarks {
    /// One `Change` per dataset customer.
    marks: Vec<u8>,
    pub new: usize,
    pub worsened: usize,
    /// Recovered customers still in the data (those gone from it are counted too).
    pub recovered: usize,
    /// The run the baseline's results come from (none: no earlier different results).
    pub since: Option<Run>,
    /// Every kept run, oldest first, this one last.
    pub runs: Vec<Run>,
    /// What the analysis was compared with (kept to compare again after tuning).
    pub baseline: Arc<Vec<Entry>>,
}

impl ChangeMarks {
    /// Compares `analysis` with `baseline`.
    pub fn compare(
        baseline: Arc<Vec<Entry>>,
        since: Option<Run>,
        runs: Vec<Run>,
        dataset: &Dataset,
        analysis: &Analysis,
        worsened_share: f64,
    ) -> Self {
        let mut marks = vec![Change::Unchanged as u8; dataset.customer_ids.len()];
        if since.is_none() {
            // The first results of this data: nothing to compare with, so nothing is marked.
            return Self {
                marks,
                since,
                runs,
                baseline,
                ..Self::default()
            };
        }
        let changes = snapshot::changes(&baseline, dataset, analysis, worsened_share);
        for (entries, change) in [
            (&changes.new, Change::New),
            (&changes.worsened, Change::Worsened),
            (&changes.recovered, Change::Recovered),
        ] {
            for entry in entries {
                if let Some(customer) = dataset.customer_ids.position(&entry.customer_id) {
                    marks[customer] = change as u8;
                }
            }
        }
        Self {
            marks,
            new: changes.new.len(),
            worsened: changes.worsened.len(),
            recovered: changes.recovered.len(),
            since,
            runs,
            baseline,
        }
    }

    /// Customer `customer`'s change.
    pub fn of(&self, customer: usize) -> Change {
        self.marks
            .get(customer)
            .map_or(Change::Unchanged, |b| Change::from_byte(*b))
    }
}

/// Reads the baseline for this analysis of `dataset.source` (keeping this run's snapshot
/// first unless `keep` is false) and marks the changes.
pub fn load(
    dir: &Path,
    keep: bool,
    dataset: &Dataset,
    analysis: &Analysis,
    worsened_share: f64,
) -> std::io::Result<ChangeMarks> {
    let source = &dataset.source;
    let mut runs = snapshot::read_history(dir, source)?;
    let digest = if keep {
        let run = snapshot::write(dir, source, dataset, analysis, &runs)?;
        let digest = run.digest.clone();
        runs.push(run);
        digest
    } else {
        snapshot::digest(dataset, analysis)
    };
    let baseline = snapshot::baseline(dir, source, &digest, &runs)?;
    Ok(ChangeMarks::compare(
        Arc::new(baseline.entries),
        baseline.since,
        runs,
        dataset,
        analysis,
        worsened_share,
    ))
}

/// Which changes a `changed:` filter term keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeFilter {
    New,
    Worsened,
    Recovered,
    /// Any of the three.
    Any,
}

impl ChangeFilter {
    pub fn keeps(self, change: Change) -> bool {
        match self {
            Self::New => change == Change::New,
            Self::Worsened => change == Change::Worsened,
            Self::Recovered => change == Change::Recovered,
            Self::Any => change != Change::Unchanged,
        }
    }
}

/// Takes the `changed:` term out of a filter: the rest for the engine's filter, and the term.
pub fn split_filter(text: &str) -> Result<(String, Option<ChangeFilter>), String> {
    let mut rest = Vec::new();
    let mut found = None;
    for term in text.split_whitespace() {
        let lower = term.to_ascii_lowercase();
        let Some(value) = lower
            .strip_prefix("changed:")
            .or(lower.strip_prefix("change:"))
        else {
            rest.push(term);
            continue;
        };
        found = Some(match value {
            "new" => ChangeFilter::New,
            "worsened" | "worse" => ChangeFilter::Worsened,
            "recovered" => ChangeFilter::Recovered,
            "yes" | "any" => ChangeFilter::Any,
            _ => {
                return Err(format!(
                    "filter: expected changed:new, changed:worsened, changed:recovered or changed:any, found '{term}'"
                ));
            }
        });
    }
    Ok((rest.join(" "), found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_term_is_split_from_the_rest() {
        assert_eq!(
            split_filter("gap>10 changed:new east").unwrap(),
            ("gap>10 east".to_string(), Some(ChangeFilter::New))
        );
        assert_eq!(split_filter("east").unwrap(), ("east".to_string(), None));
        assert!(
            split_filter("changed:maybe")
                .unwrap_err()
                .contains("expected changed:new")
        );
        assert!(ChangeFilter::Any.keeps(Change::Recovered));
        assert!(!ChangeFilter::New.keeps(Change::Worsened));
    }
}
