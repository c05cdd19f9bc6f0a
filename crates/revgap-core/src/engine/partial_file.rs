//! The file form of one partition's contribution to an analysis (`revgap partial`, read by
//! `revgap merge`): what `partition` merges exactly, written so that any engine (a cluster's
//! executors, a shell loop over files) can analyse its customers apart and one merge gives
//! the whole run's summary and top list, bit for bit.
//!
//! A file holds the partition's summary and exact money sums, its sorted gap sizes and total
//! spends (the percentile scales), and the scores of its customers with a gap (to rank them
//! on the merged scales). It is versioned JSON (`format`, `version`) and carries the
//! analysis' identity: the revgap version, the whole configuration, the churn model, the
//! baseline, the unit and the as-of date. Partials that differ in any of them are refused on
//! merge, naming the file and what differs. Floats are written in their shortest exact form
//! and read back bit for bit.
//!
//! Owns the file format and the merge of files; uses `engine::partition` and `config`.

use super::partition::{Partial, Ranked, Scales, merge_summaries, ranking_order};
use super::season::BaselineKind;
use super::{Analysis, CustomerScore, Summary};
use crate::config::Config;
use crate::stats::exact_sum::ExactSum;
use crate::text::ValueUnit;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The file's `format` field.
pub const FORMAT: &str = "revgap-partial";
/// The file's `version`: bumped on any change a reader of the previous version cannot read.
pub const VERSION: u32 = 1;

/// What must be the same for partials to merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The revgap version that wrote the file.
    pub revgap: String,
    /// The whole configuration, as TOML.
    pub config: String,
    pub churn_model: String,
    pub baseline_kind: Option<BaselineKind>,
    pub value_unit: ValueUnit,
    pub as_of: Option<NaiveDate>,
}

/// A customer with a gap, as the merge ranks them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub customer_id: String,
    /// The scores, with the percentile factors of the partition alone (the merge replaces
    /// them with everyone's).
    pub score: CustomerScore,
}

/// One partition's contribution, as written to a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialFile {
    pub format: String,
    pub version: u32,
    pub identity: Identity,
    pub summary: Summary,
    /// The exact sums' partials: the total gap, then the potential recovery.
    pub sums: [Vec<f64>; 2],
    pub gap_sizes: Vec<f64>,
    pub revenues: Vec<f64>,
    pub candidates: Vec<Candidate>,
}

/// Why partial files cannot be read or merged (one line each, naming the file).
#[derive(Debug, thiserror::Error)]
pub enum PartialFileError {
    #[error("{name}: not a revgap partial: {message}")]
    Json { name: String, message: String },
    #[error("{name}: format {found:?}; expected {FORMAT:?}")]
    Format { name: String, found: String },
    #[error(
        "{name}: partial file version {found}; this revgap reads version {VERSION} (write the partials again with this revgap)"
    )]
    Version { name: String, found: u32 },
    #[error(
        "{name}: analysed differently from {first}: {field} {found} against {expected}; expected partials of one analysis"
    )]
    Mismatch {
        name: String,
        first: String,
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error("{name}: its configuration does not read: {message}")]
    Config { name: String, message: String },
    #[error("no partial files to merge")]
    Empty,
}

impl PartialFile {
    /// The contribution of a partition's analysis; `ids` are its customers' ids.
    pub fn of(analysis: &Analysis, ids: &crate::data::IdColumn, skipped_rows: u64) -> Self {
        let partial = Partial::of(analysis, skipped_rows);
        let summary = &partial.summary;
        let identity = Identity {
            revgap: env!("CARGO_PKG_VERSION").to_string(),
            config: toml::to_string(&analysis.config).unwrap_or_default(),
            churn_model: summary.churn_model.clone(),
            baseline_kind: summary.baseline_kind,
            value_unit: summary.value_unit,
            as_of: summary.as_of,
        };
        let candidates = analysis
            .scores
            .iter()
            .enumerate()
            .filter(|(_, score)| score.has_gap())
            .map(|(customer, score)| Candidate {
                customer_id: ids[customer].to_string(),
                score: *score,
            })
            .collect();
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            identity,
            summary: partial.summary.clone(),
            sums: [
                partial.sums[0].partials().to_vec(),
                partial.sums[1].partials().to_vec(),
            ],
            gap_sizes: partial.gap_sizes,
            revenues: partial.revenues,
            candidates,
        }
    }

    /// Writes the file's bytes (compact JSON).
    pub fn write(&self, out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(out, self).map_err(std::io::Error::from)
    }

    /// Reads a file written by [`PartialFile::write`]; `name` names it in errors.
    pub fn read(input: impl std::io::Read, name: &str) -> Result<Self, PartialFileError> {
        let json = |error: serde_json::Error| PartialFileError::Json {
            name: name.to_string(),
            message: crate::text::one_line(&error.to_string()).into_owned(),
        };
        // The envelope first, so an old or foreign file says what it is before any field.
        let value: serde_json::Value =
            serde_json::from_reader(std::io::BufReader::new(input)).map_err(json)?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != FORMAT {
            return Err(PartialFileError::Format {
                name: name.to_string(),
                found: crate::text::one_line(format).into_owned(),
            });
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(VERSION) {
            return Err(PartialFileError::Version {
                name: name.to_string(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(value).map_err(json)
    }

    fn partial(&self) -> Partial {
        let sum_of = |partials: &[f64]| {
            // Adding exact partials again keeps the sum exact, whatever their order.
            let mut sum = ExactSum::default();
            for value in partials {
                sum.add(*value);
            }
            sum
        };
        let mut gap_sizes = self.gap_sizes.clone();
        let mut revenues = self.revenues.clone();
        // A file edited by hand is sorted again rather than trusted.
        gap_sizes.sort_unstable_by(f64::total_cmp);
        revenues.sort_unstable_by(f64::total_cmp);
        Partial {
            summary: self.summary.clone(),
            sums: [sum_of(&self.sums[0]), sum_of(&self.sums[1])],
            gap_sizes,
            revenues,
        }
    }
}

/// The merge of partial files: the whole analysis' summary and its best customers.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub summary: Summary,
    /// The best `n` customers with a gap, in the ranking's order, scored on everyone's scales;
    /// `index` is their position in the merged list.
    pub top: Vec<Ranked>,
    /// The configuration the partials were analysed with.
    pub config: Config,
}

/// Merges `files` (each with the name errors give it) into the summary and the top `n`.
pub fn merge(files: &[(String, PartialFile)], n: usize) -> Result<Merged, PartialFileError> {
    let Some((first_name, first)) = files.first() else {
        return Err(PartialFileError::Empty);
    };
    for (name, file) in &files[1..] {
        let (a, b) = (&first.identity, &file.identity);
        let compared: [(&'static str, bool, String, String); 6] = [
            (
                "revgap version",
                a.revgap == b.revgap,
                a.revgap.clone(),
                b.revgap.clone(),
            ),
            (
                "configuration",
                a.config == b.config,
                short(&a.config),
                short(&b.config),
            ),
            (
                "churn model",
                a.churn_model == b.churn_model,
                a.churn_model.clone(),
                b.churn_model.clone(),
            ),
            (
                "baseline",
                a.baseline_kind == b.baseline_kind,
                format!("{:?}", a.baseline_kind),
                format!("{:?}", b.baseline_kind),
            ),
            (
                "value unit",
                a.value_unit == b.value_unit,
                format!("{:?}", a.value_unit),
                format!("{:?}", b.value_unit),
            ),
            (
                "as-of date",
                a.as_of == b.as_of,
                format!("{:?}", a.as_of),
                format!("{:?}", b.as_of),
            ),
        ];
        if let Some((field, _, expected, found)) = compared.into_iter().find(|(_, same, ..)| !same)
        {
            return Err(PartialFileError::Mismatch {
                name: name.clone(),
                first: first_name.clone(),
                field,
                expected,
                found,
            });
        }
    }
    let config = Config::from_toml_str(&first.identity.config)
        .map_err(|e| e.to_string())
        .and_then(|config| config.validated().map_err(|e| e.to_string()))
        .map_err(|message| PartialFileError::Config {
            name: first_name.clone(),
            message,
        })?;
    let partials: Vec<Partial> = files.iter().map(|(_, file)| file.partial()).collect();
    let summary = merge_summaries(&partials).map_err(|e| PartialFileError::Json {
        name: first_name.clone(),
        message: e.to_string(),
    })?;
    let scales = Scales::merge_owned(partials);
    let mut top: Vec<Ranked> = files
        .iter()
        .flat_map(|(_, file)| &file.candidates)
        .map(|candidate| {
            let score = scales.rescore(&candidate.score, &config);
            Ranked {
                index: 0,
                customer_id: candidate.customer_id.clone(),
                priority: score.priority,
                gap_size: score.gap_size,
                churn_points: score.churn_points,
                score,
            }
        })
        .collect();
    top.sort_by(ranking_order);
    top.truncate(n);
    for (position, ranked) in top.iter_mut().enumerate() {
        ranked.index = position;
        ranked.score.rank = position as u32 + 1;
    }
    Ok(Merged {
        summary,
        top,
        config,
    })
}

/// A configuration named in an error: the first differing line is enough to find it.
fn short(config: &str) -> String {
    format!("({} lines of TOML)", config.lines().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::partition::tests::{partitions, without_attributes};

    fn written(file: &PartialFile) -> PartialFile {
        let mut bytes = Vec::new();
        file.write(&mut bytes).unwrap();
        PartialFile::read(bytes.as_slice(), "part").unwrap()
    }

    #[test]
    fn files_round_trip_and_merge_to_the_single_run() {
        let generated = crate::data::generate::in_memory(&crate::data::generate::GenerateOptions {
            customers: 3_000,
            weeks: 26,
            seed: 5,
            ..Default::default()
        });
        let whole = without_attributes(&generated);
        let mut config = Config::default();
        config.model.churn_model = crate::config::ChurnModel::Rules;
        config.windows.baseline = crate::config::BaselineChoice::Original;
        let single = crate::engine::analyze(&whole, &config);
        let files: Vec<(String, PartialFile)> = partitions(&whole, 4)
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let analysis = crate::engine::analyze(part, &config);
                let file = PartialFile::of(&analysis, &part.customer_ids, 0);
                assert_eq!(written(&file), file, "a file reads back bit for bit");
                (format!("part-{i}"), file)
            })
            .collect();
        let merged = merge(&files, 50).unwrap();
        assert_eq!(merged.summary, single.summary);
        let expected: Vec<(String, f64)> = single.ranking[..50]
            .iter()
            .map(|c| {
                (
                    whole.customer_ids[*c].to_string(),
                    single.scores[*c].priority,
                )
            })
            .collect();
        let found: Vec<(String, f64)> = merged
            .top
            .iter()
            .map(|r| (r.customer_id.clone(), r.priority))
            .collect();
        assert_eq!(found, expected);
        // A partial of another analysis is refused, naming the file and what differs.
        let mut other = config.clone();
        other.gaps.below_baseline_pct = -30.0;
        let stranger = PartialFile::of(
            &crate::engine::analyze(&whole, &other),
            &whole.customer_ids,
            0,
        );
        let mut mixed = files.clone();
        mixed.push(("stranger".into(), stranger));
        let error = merge(&mixed, 10).unwrap_err().to_string();
        assert!(
            error.starts_with("stranger: analysed differently from part-0: configuration"),
            "{error}"
        );
    }

    #[test]
    fn foreign_and_future_files_say_what_they_are() {
        let error = PartialFile::read(&b"{\"format\":\"csv\"}"[..], "x.json").unwrap_err();
        assert_eq!(
            error.to_string(),
            "x.json: format \"csv\"; expected \"revgap-partial\""
        );
        let error = PartialFile::read(&b"{\"format\":\"revgap-partial\",\"version\":9}"[..], "y")
            .unwrap_err();
        assert!(
            error.to_string().starts_with("y: partial file version 9"),
            "{error}"
        );
        let error = PartialFile::read(&b"{\"format\":"[..], "z").unwrap_err();
        assert!(
            error.to_string().starts_with("z: not a revgap partial: "),
            "{error}"
        );
        assert!(matches!(merge(&[], 1), Err(PartialFileError::Empty)));
    }
}
