//! Loader for the customers file: `customer_id`, any of `age,household_size,loyalty_member`, plus any
//! extra columns, which are kept as text attributes (e.g. name, region).
//!
//! An empty cell means "unknown". A bad row is skipped (its customer is analysed with unknown
//! attributes) and counted, or is an error under the strict policy. Attribute rows for ids with
//! no spend are counted as `customers_without_spend`.

use super::dataset::{CustomerIndex, CustomerProfile, Dataset, ExtraValues};
use super::error::{DataError, LoadReport, Location, RowError, RowPolicy, RowProblem};
use super::fields::{self, ColumnRef, field_error, parse_bool};
use super::table::{TableFormat, for_each_record, open_table, ragged};

pub const EXPECTED_CUSTOMERS: &str = "customer_id,age,household_size,loyalty_member";

/// A parsed attribute row: line, customer id, and the profile or what was wrong with it.
type ParsedProfile = (u64, String, Result<CustomerProfile, RowError>);

/// The customers file as read, before it is matched to the spend data.
#[derive(Debug, Default)]
pub struct CustomersFile {
    path: String,
    ids: super::dataset::IdColumn,
    lines: Vec<u64>,
    profiles: Vec<CustomerProfile>,
    extra_columns: Vec<String>,
    report: LoadReport,
}

/// Reads and checks the customers file at `path` (it can run while the spend file loads).
pub fn read_customers(path: &str, policy: RowPolicy) -> Result<CustomersFile, DataError> {
    let mut file = CustomersFile {
        path: path.to_string(),
        ..Default::default()
    };
    let (extra_columns, report) = scan_customers(path, policy, |line, id, profile| {
        file.push(line, id, profile);
        Ok(())
    })?;
    file.extra_columns = extra_columns;
    file.report = report;
    Ok(file)
}

impl CustomersFile {
    /// An empty file's worth: rows are pushed as they are read back.
    pub(super) fn new(path: &str, extra_columns: Vec<String>, report: LoadReport) -> Self {
        Self {
            path: path.to_string(),
            extra_columns,
            report,
            ..Default::default()
        }
    }

    /// A valid row: its line, customer id and attributes.
    pub(super) fn push(&mut self, line: u64, id: &str, profile: CustomerProfile) {
        self.ids.push(id);
        self.lines.push(line);
        self.profiles.push(profile);
    }
}

/// Reads and checks the customers file at `path`, handing each valid row (line, id,
/// attributes) to `each` in the file's order; returns the extra columns' names and what was
/// skipped.
pub(super) fn scan_customers(
    path: &str,
    policy: RowPolicy,
    mut each: impl FnMut(u64, &str, CustomerProfile) -> Result<(), DataError> + Send,
) -> Result<(Vec<String>, LoadReport), DataError> {
    let format = TableFormat::default();
    let (stream, header) = open_table(path, &format, EXPECTED_CUSTOMERS)?;
    let header = header.unwrap_or_default();
    let names = ["customer_id", "age", "household_size", "loyalty_member"];
    // Only the id is required; any subset of the known attributes may be there.
    let id_position = fields::resolve_columns(
        path,
        Some(&header),
        &[&ColumnRef::Name(names[0].to_string())],
        EXPECTED_CUSTOMERS,
    )?[0];
    let mut positions: Vec<Option<usize>> = vec![Some(id_position)];
    for name in &names[1..] {
        let present = header.iter().any(|h| h.trim().eq_ignore_ascii_case(name));
        // Resolved as the id is, so a column named twice is refused the same way.
        positions.push(if present {
            Some(
                fields::resolve_columns(
                    path,
                    Some(&header),
                    &[&ColumnRef::Name(name.to_string())],
                    EXPECTED_CUSTOMERS,
                )?[0],
            )
        } else {
            None
        });
    }
    let extra_positions: Vec<usize> = (0..header.len())
        .filter(|p| !positions.contains(&Some(*p)))
        .collect();
    let extra_columns = extra_positions.iter().map(|p| header[*p].clone()).collect();
    let mut report = LoadReport::default();
    let width = header.len();
    stream.scan(
        |text, first_line| {
            let mut parsed = Vec::<ParsedProfile>::new();
            for_each_record(path, text, first_line, format.delimiter, |line, record| {
                let record = match record {
                    Ok(record) => record,
                    Err(error) => {
                        parsed.push((line, String::new(), Err(error)));
                        return;
                    }
                };
                let id = record
                    .get(id_position)
                    .copied()
                    .unwrap_or_default()
                    .trim_ascii();
                let id = String::from_utf8_lossy(id).into_owned();
                let profile = if record.len() != width {
                    Err(ragged(path, line, width, record.len(), true))
                } else {
                    parse_profile(path, line, record, &positions, &extra_positions, &names)
                };
                parsed.push((line, id, profile));
            });
            parsed
        },
        |parsed| {
            for (line, id, profile) in parsed {
                match profile {
                    Ok(profile) => each(line, &id, profile)?,
                    Err(error) => report.reject(policy, error)?,
                }
            }
            Ok(())
        },
    )?;
    Ok((extra_columns, report))
}

/// Attaches the profiles of a customers file to the customers of `dataset`, by id; without
/// one, every customer is counted as having no attributes.
pub fn attach_customers(
    dataset: &mut Dataset,
    file: Option<CustomersFile>,
    policy: RowPolicy,
) -> Result<(), DataError> {
    let Some(file) = file else {
        dataset.load.customers_without_attributes = dataset.customer_count() as u64;
        return Ok(());
    };
    let CustomersFile {
        path,
        ids,
        lines,
        profiles: read,
        extra_columns,
        mut report,
    } = file;
    dataset.extra_columns = extra_columns;
    let index = dataset
        .index
        .take()
        .unwrap_or_else(|| CustomerIndex::of(&dataset.customer_ids));
    let matched: Vec<Option<usize>> = {
        use rayon::prelude::*;
        (0..ids.len())
            .into_par_iter()
            .map(|row| index.find(&ids[row]))
            .collect()
    };
    let mut profiles: Vec<Option<CustomerProfile>> = vec![None; dataset.customer_count()];
    let mut seen_without_spend: rustc_hash::FxHashSet<&str> = Default::default();
    for (row, profile) in read.into_iter().enumerate() {
        let id = &ids[row];
        match matched[row] {
            Some(customer) if profiles[customer].is_some() => {
                report.reject(policy, duplicate(&path, lines[row], id))?;
            }
            Some(customer) => profiles[customer] = Some(profile),
            None => {
                if !seen_without_spend.insert(id) {
                    report.reject(policy, duplicate(&path, lines[row], id))?;
                }
            }
        }
    }
    let load = &mut dataset.load;
    load.skipped_customer_rows = report.skipped_rows;
    load.skipped_customer_rows_by_reason = std::mem::take(&mut report.skipped_by_reason);
    load.keep_customer_problems(report);
    load.customers_without_attributes = profiles.iter().filter(|p| p.is_none()).count() as u64;
    load.customers_without_spend = seen_without_spend.len() as u64;
    dataset.profiles = profiles;
    Ok(())
}

fn duplicate(path: &str, line: u64, id: &str) -> RowError {
    RowError {
        location: Location {
            path: path.to_string(),
            line,
            column: Some((1, "customer_id".into())),
        },
        problem: RowProblem::DuplicateRow,
        message: format!("expected one row per customer, found a second row for '{id}'"),
    }
}

fn parse_profile(
    path: &str,
    line: u64,
    record: &[&[u8]],
    positions: &[Option<usize>],
    extra_positions: &[usize],
    names: &[&str; 4],
) -> Result<CustomerProfile, RowError> {
    // An absent column reads as an empty (unknown) cell.
    let field = |i: usize| positions[i].map_or(&b""[..], |p| record[p].trim_ascii());
    let at = |i: usize| positions[i].unwrap_or_default();
    fields::check_id(path, line, (at(0), names[0]), field(0))?;
    let whole = |i: usize| -> Result<Option<u32>, RowError> {
        let text = field(i);
        if text.is_empty() {
            return Ok(None);
        }
        std::str::from_utf8(text)
            .ok()
            .and_then(|t| t.parse::<u32>().ok())
            .map(Some)
            .ok_or_else(|| {
                field_error(
                    path,
                    line,
                    (at(i), names[i]),
                    RowProblem::BadNumber,
                    "a whole number",
                    text,
                )
            })
    };
    let loyalty = match field(3) {
        [] => None,
        text => Some(parse_bool(text).ok_or_else(|| {
            field_error(
                path,
                line,
                (at(3), names[3]),
                RowProblem::BadBool,
                "True/False/true/false/1/0/yes/no",
                text,
            )
        })?),
    };
    Ok(CustomerProfile {
        age: whole(1)?,
        household_size: whole(2)?,
        loyalty_member: loyalty,
        extra: ExtraValues::new(
            extra_positions
                .iter()
                .map(|p| std::str::from_utf8(record[*p].trim_ascii()).unwrap_or("\u{fffd}")),
        ),
    })
}
