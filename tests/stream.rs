//! `analyze --stream`: a panel read in parts of customers gives the whole run's summary, load
//! counts and customers exactly (CSV and Parquet in, every format out, any part size), and
//! says clearly what it cannot do.

mod common;

use arrow_array::builder::{Date32Builder, Float64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{Field, Schema};
use common::{report_json, revgap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A generated panel (CSV) and the same rows as Parquet in several row groups.
fn panel(dir: &Path) -> (PathBuf, PathBuf) {
    let out = dir.join("data");
    let generated = revgap(&[
        "generate",
        "--customers",
        "3000",
        "--weeks",
        "26",
        "--seed",
        "5",
        "--shape",
        "original",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(generated.status.success(), "{generated:?}");
    let csv = out.join("weekly_spend.csv");
    let parquet = out.join("weekly_spend.parquet");
    parquet_of(&csv, &parquet);
    (csv, parquet)
}

/// The rows of a weekly panel CSV as Parquet, in row groups of 20,000 rows.
fn parquet_of(csv: &Path, parquet: &Path) {
    parquet_with(
        csv,
        parquet,
        ["customer_id", "week_start_date", "weekly_spend"],
    );
}

/// The rows of a CSV of an id, a date and an amount as Parquet (columns `names`), in row
/// groups of 20,000 rows.
fn parquet_with(csv: &Path, parquet: &Path, names: [&str; 3]) {
    let text = std::fs::read_to_string(csv).unwrap();
    let (mut ids, mut weeks, mut spend) = (
        StringBuilder::new(),
        Date32Builder::new(),
        Float64Builder::new(),
    );
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let week: chrono::NaiveDate = fields[1].parse().unwrap();
        ids.append_value(fields[0]);
        weeks.append_value((week - epoch).num_days() as i32);
        spend.append_value(fields[2].parse().unwrap());
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        (names[0], Arc::new(ids.finish())),
        (names[1], Arc::new(weeks.finish())),
        (names[2], Arc::new(spend.finish())),
    ];
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), false))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(20_000))
        .build();
    let file = std::fs::File::create(parquet).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, Some(properties)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

const RULES: [&str; 4] = ["--churn-model", "rules", "--no-learning", "--top"];
const EVERYONE: [&str; 3] = ["--churn-model", "rules", "--no-learning"];

/// A whole run's JSON customer as a streamed run shows it: the segments that rank each
/// customer against everyone (value tier, RFM) are not computed there.
fn as_streamed(mut customer: serde_json::Value) -> serde_json::Value {
    for dimension in ["value_tier", "rfm"] {
        customer["segments"][dimension] = serde_json::json!("not_computed");
    }
    customer
}

/// The JSON report with its customers as a streamed run shows them, in rank order.
fn comparable(mut report: serde_json::Value) -> serde_json::Value {
    let customers = report["customers"].as_array_mut().unwrap();
    customers.sort_by_key(|c| c["rank"].as_u64());
    for customer in customers.iter_mut() {
        *customer = as_streamed(customer.take());
    }
    report
}

/// Everyone with a gap as JSON lines, read from `input` (the `analyze` arguments naming the
/// files) whole and streamed in parts of each of `parts`: the same summary line, and the same
/// customers once sorted by rank.
fn assert_listing_streams_as_whole(input: &[&str], parts: &[&str]) {
    let lines = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["analyze"];
        args.extend(input);
        args.extend(EVERYONE);
        args.extend(["--format", "jsonl"]);
        args.extend(extra);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let mut whole = lines(&["--no-snapshot"]);
    let summary = whole.pop().unwrap();
    let whole: Vec<_> = whole.into_iter().map(as_streamed).collect();
    for part in parts {
        let mut streamed = lines(&["--stream", "--stream-part", part]);
        assert_eq!(streamed.pop().unwrap()["summary"], summary["summary"]);
        streamed.sort_by_key(|c| c["rank"].as_u64());
        assert_eq!(streamed, whole, "{input:?} in parts of {part}");
    }
}

/// A CSV report: its comment line, its header, and its rows sorted by rank, with the two
/// segment columns a streamed run does not compute as it shows them.
fn csv_report(bytes: Vec<u8>) -> (String, Vec<String>, Vec<Vec<String>>) {
    let text = String::from_utf8(bytes).unwrap();
    let (comment, rest) = text.split_once('\n').unwrap();
    let mut reader = csv::Reader::from_reader(rest.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let blanked: Vec<usize> = ["value_tier", "rfm"]
        .iter()
        .map(|name| header.iter().position(|h| h == name).unwrap())
        .collect();
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|record| {
            let mut cells: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
            for column in &blanked {
                cells[*column] = "not_computed".into();
            }
            cells
        })
        .collect();
    rows.sort_by_key(|cells| cells[0].parse::<u64>().unwrap());
    (comment.to_string(), header, rows)
}

#[test]
fn streamed_parts_give_the_whole_runs_summary_and_top_customers() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, parquet) = panel(dir.path());
    let run = |input: &Path, extra: &[&str]| {
        let mut args = vec!["analyze", "--weekly", input.to_str().unwrap()];
        args.extend(RULES);
        args.extend(["25", "--format", "json"]);
        args.extend(extra);
        report_json(&args)
    };
    let whole = run(&csv, &["--no-snapshot"]);
    assert_eq!(whole["customers"].as_array().unwrap().len(), 25);
    assert_eq!(whole["summary"]["customers_analyzed"], 3000);
    let expected = comparable(whole.clone());
    assert_ne!(
        expected, whole,
        "the whole run has value tiers and RFM segments"
    );
    for input in [&csv, &parquet] {
        for part in ["1", "97", "1000", "100000"] {
            let streamed = run(input, &["--stream", "--stream-part", part]);
            // Already in rank order: --top lists the best, best first.
            assert_eq!(streamed, expected, "{} in parts of {part}", input.display());
        }
    }

    // An as-of date inside the data: the same weeks cut, the same later rows counted.
    let cut = ["--as-of", "2026-01-01"];
    let whole = run(&csv, &[&cut[..], &["--no-snapshot"]].concat());
    assert!(whole["load"]["rows_after_as_of"].as_u64().unwrap() > 0);
    let streamed = run(
        &parquet,
        &[&cut[..], &["--stream", "--stream-part", "97"]].concat(),
    );
    assert_eq!(streamed, comparable(whole));

    // The markdown report: the same but for the segment tables, which it says it left out.
    let markdown = |extra: &[&str]| {
        let mut args = vec!["analyze", "--weekly", parquet.to_str().unwrap()];
        args.extend(RULES);
        args.push("25");
        args.extend(extra);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        let (start, end) = (
            text.find("## Segments").unwrap(),
            text.find("## Top Priority").unwrap(),
        );
        let generated = |line: &&str| !line.starts_with("**Generated:**");
        let outside: Vec<String> = text[..start]
            .lines()
            .chain(text[end..].lines())
            .filter(generated)
            .map(str::to_string)
            .collect();
        (outside, text[start..end].to_string())
    };
    let (whole_text, whole_segments) = markdown(&["--no-snapshot"]);
    let (streamed_text, streamed_segments) = markdown(&["--stream", "--stream-part", "250"]);
    assert_eq!(streamed_text, whole_text);
    assert!(
        whole_segments.contains("### By value tier"),
        "{whole_segments}"
    );
    assert!(
        streamed_segments.contains("Not computed: a streamed analysis"),
        "{streamed_segments}"
    );
}

/// Without --top, every customer with a gap is listed, in the panel's order, with the rank
/// and scores of the whole run: the same rows as the whole run's (which lists them in rank
/// order), in JSON, JSON lines, CSV and Parquet.
#[test]
fn streamed_row_formats_list_everyone_with_the_whole_runs_ranks() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, parquet) = panel(dir.path());
    let run = |input: &Path, format: &str, extra: &[&str]| {
        let mut args = vec!["analyze", "--weekly", input.to_str().unwrap()];
        args.extend(EVERYONE);
        args.extend(["--format", format]);
        args.extend(extra);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    let streamed_args = ["--stream", "--stream-part", "401"];

    let whole: serde_json::Value =
        serde_json::from_slice(&run(&csv, "json", &["--no-snapshot"])).unwrap();
    let listed = whole["customers"].as_array().unwrap().len();
    assert_eq!(
        listed,
        whole["summary"]["customers_with_gaps"].as_u64().unwrap() as usize
    );
    let streamed: serde_json::Value =
        serde_json::from_slice(&run(&parquet, "json", &streamed_args)).unwrap();
    let ranks: Vec<u64> = streamed["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rank"].as_u64().unwrap())
        .collect();
    assert_ne!(
        ranks,
        (1..=listed as u64).collect::<Vec<_>>(),
        "the panel's order"
    );
    let unnamed = |mut report: serde_json::Value| {
        let object = report.as_object_mut().unwrap();
        object.remove("generated_at");
        object.remove("source");
        report
    };
    let (streamed, whole_comparable) = (unnamed(streamed), unnamed(whole.clone()));
    assert_eq!(comparable(streamed), comparable(whole_comparable));

    // JSON lines: the same customers, then the same summary line.
    assert_listing_streams_as_whole(&["--weekly", csv.to_str().unwrap()], &["401"]);

    // CSV: the same records once sorted by rank, the two segment columns aside.
    let records = |bytes: Vec<u8>| {
        let (comment, _, rows) = csv_report(bytes);
        (comment, rows)
    };
    let whole_csv = records(run(&csv, "csv", &["--no-snapshot"]));
    assert_eq!(whole_csv.1.len(), listed);
    assert_eq!(records(run(&parquet, "csv", &streamed_args)), whole_csv);

    // Parquet: a file of the same rows, typed.
    let out = dir.path().join("streamed.parquet");
    let mut args = streamed_args.to_vec();
    args.extend(["--out", out.to_str().unwrap()]);
    run(&parquet, "parquet", &args);
    let file = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut ranks: Vec<i64> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name("rank").unwrap();
        let column = column
            .as_any()
            .downcast_ref::<arrow_array::Int64Array>()
            .unwrap();
        ranks.extend(column.iter().map(|r| r.unwrap()));
    }
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=listed as i64).collect::<Vec<_>>());
}

/// Customers equal on every number the ranking sorts by are ranked by id, as the whole run
/// ranks them, however the streamed ranking's runs cut the ties.
#[test]
fn streamed_ties_are_ranked_by_id_as_the_whole_run_ranks_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ties.csv");
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    let same = ["10", "9", "b", "100", "a", "2"];
    let others = ["7", "c"];
    for (position, id) in same.iter().chain(&others).enumerate() {
        for week in 0..12u64 {
            let day =
                chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap() + chrono::Days::new(7 * week);
            // Everyone slips in the last weeks; the tied ones by the very same amounts.
            let base = if position < same.len() {
                50.0
            } else {
                40.0 + position as f64
            };
            let spend = if week >= 8 { base / 4.0 } else { base };
            text.push_str(&format!("{id},{day},{spend:.2}\n"));
        }
    }
    std::fs::write(&path, text).unwrap();
    let ranked = |extra: &[&str]| -> Vec<(u64, String)> {
        let mut args = vec![
            "analyze",
            "--weekly",
            path.to_str().unwrap(),
            "--format",
            "jsonl",
        ];
        args.extend(EVERYONE);
        args.extend(extra);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        let mut ranked: Vec<(u64, String)> = text
            .lines()
            .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
            .filter(|record| record.get("rank").is_some())
            .map(|record| {
                let rank = record["rank"].as_u64().unwrap();
                (rank, record["customer_id"].as_str().unwrap().to_string())
            })
            .collect();
        ranked.sort();
        ranked
    };
    let whole = ranked(&["--no-snapshot"]);
    assert_eq!(whole.len(), same.len() + others.len(), "{whole:?}");
    let tied: Vec<&str> = whole
        .iter()
        .map(|(_, id)| id.as_str())
        .filter(|id| same.contains(id))
        .collect();
    assert_eq!(
        tied,
        ["2", "9", "10", "100", "a", "b"],
        "numeric ids by number, then text"
    );
    for part in ["1", "2", "3", "100000"] {
        assert_eq!(
            ranked(&["--stream", "--stream-part", part]),
            whole,
            "parts of {part}"
        );
    }
}

/// The temporary files a streamed run sorts on disk cannot be made: one line, exit 73 (as an
/// output that cannot be written), and no report.
#[test]
fn a_temporary_directory_that_cannot_be_written_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, _) = panel(dir.path());
    let missing = dir.path().join("no-such-dir");
    let out = dir.path().join("report.csv");
    for part in ["1", "100000"] {
        let output = common::command()
            .args(["analyze", "--weekly", csv.to_str().unwrap(), "--stream"])
            .args(["--stream-part", part, "--format", "csv", "--out"])
            .arg(&out)
            .args(EVERYONE)
            .env("TMPDIR", &missing)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(73), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.starts_with(&format!(
                "revgap: error: a temporary file in {} cannot be written or read: ",
                missing.display()
            )),
            "{stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert!(!out.exists());
    }
}

/// A panel where nobody slips: every format still writes a report, with no customer listed.
#[test]
fn a_panel_without_gaps_streams_to_empty_listings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("steady.csv");
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    for customer in 1..=3 {
        for week in 0..12 {
            let day =
                chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap() + chrono::Days::new(7 * week);
            text.push_str(&format!("{customer},{day},25.00\n"));
        }
    }
    std::fs::write(&path, text).unwrap();
    for (format, top) in [
        ("parquet", Some("5")),
        ("parquet", None),
        ("csv", Some("5")),
    ] {
        let out = dir.path().join(format!("report.{format}"));
        let mut args = vec!["analyze", "--weekly", path.to_str().unwrap(), "--stream"];
        args.extend(EVERYONE);
        args.extend(["--format", format, "--out", out.to_str().unwrap()]);
        if let Some(top) = top {
            args.extend(["--top", top]);
        }
        let output = revgap(&args);
        assert!(output.status.success(), "{format} {top:?}: {output:?}");
        if format == "csv" {
            let text = std::fs::read_to_string(&out).unwrap();
            assert!(text.starts_with("# revgap: customers_analyzed=3 customers_with_gaps=0"));
            assert_eq!(
                text.lines().count(),
                2,
                "the comment and the header: {text}"
            );
        } else {
            let file = std::fs::File::open(&out).unwrap();
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .unwrap();
            assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
        }
    }
}

/// The first data row (its index) whose customer's rows began earlier, before another
/// customer's: where a file stops being grouped by customer. Bad rows (ids starting `bad-`)
/// belong to no customer.
fn first_return(rows: &[String]) -> (usize, String) {
    let mut seen = std::collections::HashSet::new();
    let mut previous: Option<&str> = None;
    for (index, row) in rows.iter().enumerate() {
        let id = row.split(',').next().unwrap();
        if id.starts_with("bad-") {
            continue;
        }
        if previous != Some(id) && !seen.insert(id) {
            return (index, id.to_string());
        }
        previous = Some(id);
    }
    panic!("every customer's rows come together")
}

/// The note a regrouped panel gives, up to the size it took on the disk.
fn regrouped_note(path: &Path, (line, customer): (usize, String)) -> String {
    format!(
        "revgap: note: {}: row {line}: customer '{customer}' appears again after other customers; the rows were regrouped by customer on the temporary disk (",
        path.display()
    )
}

/// A panel whose customers' rows are scattered (shuffled, with bad and repeated rows) is
/// regrouped by customer on the temporary disk, says so in one note naming where the file
/// stops being grouped, and gives the whole run's summary, load counts and customers: CSV
/// and Parquet in, the top and everyone out, any part size, lenient and strict.
#[test]
fn a_scattered_panel_is_regrouped_and_gives_the_whole_runs_report() {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let dir = tempfile::tempdir().unwrap();
    let (grouped, _) = panel(dir.path());
    let text = std::fs::read_to_string(&grouped).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut rows: Vec<String> = lines.map(str::to_string).collect();
    // A (customer, week) given twice: the later row is the one refused.
    rows.push(rows[40].clone());
    rows.shuffle(&mut rand::rngs::ChaCha8Rng::seed_from_u64(11));
    let write = |name: &str, rows: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
        path
    };
    let mut with_bad = rows.clone();
    with_bad.insert(500, "bad-1,not-a-date,3.00".into());
    with_bad.insert(9_000, "bad-2,2025-01-06,-4".into());
    let scattered_csv = write("scattered.csv", &with_bad);
    let clean_csv = write("scattered-clean.csv", &rows);
    let scattered_parquet = dir.path().join("scattered.parquet");
    parquet_of(&clean_csv, &scattered_parquet);

    let run = |input: &Path, extra: &[&str]| {
        let mut args = vec!["analyze", "--weekly", input.to_str().unwrap()];
        args.extend(extra);
        revgap(&args)
    };
    let top = |input: &Path, extra: &[&str]| {
        let mut args = RULES.to_vec();
        args.extend(["25", "--format", "json"]);
        args.extend(extra);
        let output = run(input, &args);
        assert!(output.status.success(), "{output:?}");
        let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report.as_object_mut().unwrap().remove("generated_at");
        (report, String::from_utf8(output.stderr).unwrap())
    };
    // Rows as revgap numbers them: a CSV's header is row 1, a Parquet file's first row is 1.
    let csv_row = |(index, id): (usize, String)| (index + 2, id);
    let parquet_row = |(index, id): (usize, String)| (index + 1, id);
    for (input, returned) in [
        (&scattered_csv, csv_row(first_return(&with_bad))),
        (&scattered_parquet, parquet_row(first_return(&rows))),
    ] {
        let (whole, _) = top(input, &["--no-snapshot"]);
        assert_eq!(whole["summary"]["customers_analyzed"], 3000);
        assert_eq!(whole["load"]["skipped_by_reason"]["duplicate_row"], 1);
        let expected = comparable(whole);
        for part in ["1", "97", "100000"] {
            let (streamed, stderr) = top(input, &["--stream", "--stream-part", part]);
            assert_eq!(streamed, expected, "{} in parts of {part}", input.display());
            let notes: Vec<&str> = stderr
                .lines()
                .filter(|line| line.starts_with("revgap: note:"))
                .collect();
            assert_eq!(notes.len(), 1, "{stderr}");
            assert!(
                notes[0].starts_with(&regrouped_note(input, returned.clone())),
                "{stderr}"
            );
        }
    }

    // Everyone with a gap, in JSON lines: the whole run's rows, once sorted by rank.
    assert_listing_streams_as_whole(
        &["--weekly", scattered_csv.to_str().unwrap()],
        &["1", "401"],
    );

    // Strict: the same first bad row as the whole run names (a bad value, then the repeat).
    for input in [&scattered_csv, &clean_csv] {
        let strict = |extra: &[&str]| {
            let mut args = RULES.to_vec();
            args.extend(["25", "--strict"]);
            args.extend(extra);
            let output = run(input, &args);
            assert_eq!(output.status.code(), Some(65), "{output:?}");
            String::from_utf8(output.stderr).unwrap()
        };
        let whole = strict(&["--no-snapshot"]);
        assert_eq!(whole.lines().count(), 1, "{whole}");
        assert_eq!(strict(&["--stream", "--stream-part", "97"]), whole);
    }
}

/// The note names the earliest row whose customer comes back, whatever the part size; the
/// customers are each analysed once, with all their rows.
#[test]
fn the_regrouped_note_names_the_earliest_return() {
    let dir = tempfile::tempdir().unwrap();
    // A panel of (customer, day of January 2025) rows, streamed in parts of `part`: the
    // note and the report.
    let streamed = |name: &str, rows: &[(&str, u32)], part: &str| {
        let path = dir.path().join(name);
        let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
        for (id, day) in rows {
            text.push_str(&format!("{id},2025-01-{day:02},10.00\n"));
        }
        std::fs::write(&path, text).unwrap();
        let mut args = vec!["analyze", "--weekly", path.to_str().unwrap()];
        args.extend(RULES);
        args.extend(["5", "--format", "json", "--stream", "--stream-part", part]);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (path, stderr, report)
    };
    let rows = [("x", 1), ("y", 1), ("z", 1), ("y", 8), ("x", 8), ("z", 8)];
    for part in ["1", "2", "100000"] {
        let (path, stderr, report) = streamed("later.csv", &rows, part);
        assert!(
            stderr.starts_with(&regrouped_note(&path, (5, "y".into()))),
            "{stderr}"
        );
        assert_eq!(report["summary"]["customers_analyzed"], 3);
        assert_eq!(report["load"]["rows_read"], 6);
        assert_eq!(report["load"]["missing_weeks_filled"], 0);
    }
    // A return after more runs than parts of one keep in memory (8): found on the disk then,
    // among the first runs with larger parts; the same row either way.
    let ids = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];
    let mut rows: Vec<(&str, u32)> = Vec::new();
    for day in [1, 8] {
        rows.extend(ids[..10].iter().map(|id| (*id, day)));
    }
    rows.extend(ids[10..].iter().map(|id| (*id, 8)));
    for part in ["1", "3", "100000"] {
        let (path, stderr, report) = streamed("late.csv", &rows, part);
        // Row 12: the header, 10 customers' first rows, then a's second.
        assert!(
            stderr.starts_with(&regrouped_note(&path, (12, "a".into()))),
            "parts of {part}: {stderr}"
        );
        assert_eq!(
            report["summary"]["customers_analyzed"], 12,
            "parts of {part}"
        );
    }
}

/// A customers file joins a streamed panel (grouped or scattered) a bucket at a time and gives
/// the whole run's report: attributes and extra columns of the customers listed, segments from
/// them, and the counts of customers without attributes or spend, of repeated and bad rows;
/// lenient and strict, any part size.
#[test]
fn a_customers_file_joins_a_streamed_panel_as_in_the_whole_run() {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let dir = tempfile::tempdir().unwrap();
    let (grouped, _) = panel(dir.path());
    let text = std::fs::read_to_string(grouped.with_file_name("customers.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut rows: Vec<String> = lines.map(str::to_string).collect();
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
    rows.shuffle(&mut rng);
    // 100 customers without attributes, 2 attribute rows without spend, a repeat (the later
    // row is refused), a bad age.
    rows.truncate(rows.len() - 100);
    rows.push("no-spend-1,40,2,True,Al,West".into());
    rows.push("no-spend-2,,,,,".into());
    rows.insert(7, rows[1_000].clone());
    rows.insert(2_000, "17,old,2,True,Bo,East".into());
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    let panel_text = std::fs::read_to_string(&grouped).unwrap();
    let mut panel_rows: Vec<&str> = panel_text.lines().skip(1).collect();
    panel_rows.shuffle(&mut rng);
    let scattered = dir.path().join("scattered.csv");
    std::fs::write(
        &scattered,
        format!("{}\n{}\n", EXPECTED_HEADER, panel_rows.join("\n")),
    )
    .unwrap();

    let run = |input: &Path, extra: &[&str]| {
        let mut args = vec!["analyze", "--weekly", input.to_str().unwrap()];
        args.extend(["--customers", customers.to_str().unwrap()]);
        args.extend(extra);
        revgap(&args)
    };
    let top = |input: &Path, extra: &[&str]| -> serde_json::Value {
        let mut args = RULES.to_vec();
        args.extend(["40", "--format", "json"]);
        args.extend(extra);
        let output = run(input, &args);
        assert!(output.status.success(), "{output:?}");
        let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report.as_object_mut().unwrap().remove("generated_at");
        report
    };
    for input in [&grouped, &scattered] {
        let whole = top(input, &["--no-snapshot"]);
        let load = &whole["load"];
        assert_eq!(load["customers_without_attributes"], 100);
        assert_eq!(load["customers_without_spend"], 2);
        assert_eq!(load["skipped_customer_rows"], 2, "{load}");
        let listed = whole["customers"].as_array().unwrap();
        assert!(listed.iter().any(|c| c["attributes"]["region"].is_string()));
        assert!(
            listed
                .iter()
                .any(|c| c["segments"]["age_band"] != "unknown")
        );
        let expected = comparable(whole);
        for part in ["1", "97", "100000"] {
            let streamed = top(input, &["--stream", "--stream-part", part]);
            assert_eq!(streamed, expected, "{} in parts of {part}", input.display());
        }
    }

    // Everyone with a gap as CSV: the same rows, attributes and all.
    let records = |extra: &[&str]| -> (Vec<String>, Vec<Vec<String>>) {
        let mut args = EVERYONE.to_vec();
        args.extend(["--format", "csv"]);
        args.extend(extra);
        let output = run(&scattered, &args);
        assert!(output.status.success(), "{output:?}");
        let (_, header, rows) = csv_report(output.stdout);
        (header, rows)
    };
    let whole = records(&["--no-snapshot"]);
    let age = whole.0.iter().position(|column| column == "age").unwrap();
    assert!(whole.1.iter().any(|cells| !cells[age].is_empty()));
    assert_eq!(records(&["--stream", "--stream-part", "401"]), whole);

    // Strict: the customers file's first bad row stops both runs the same way.
    let strict = |extra: &[&str]| {
        let mut args = RULES.to_vec();
        args.extend(["5", "--strict"]);
        args.extend(extra);
        let output = run(&grouped, &args);
        assert_eq!(output.status.code(), Some(65), "{output:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    let whole = strict(&["--no-snapshot"]);
    assert!(whole.contains("customers.csv:"), "{whole}");
    assert_eq!(strict(&["--stream", "--stream-part", "97"]), whole);
}

/// A transaction log made from a generated panel: each week's spend in one to three
/// purchases on days of that week, sometimes a return, sorted by date (as a till writes it).
fn transaction_log(panel: &Path, rng: &mut rand::rngs::ChaCha8Rng) -> String {
    use rand::RngExt;
    let text = std::fs::read_to_string(panel).unwrap();
    let mut rows: Vec<(chrono::NaiveDate, String, String)> = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let week: chrono::NaiveDate = fields[1].parse().unwrap();
        let cents = (fields[2].parse::<f64>().unwrap() * 100.0).round() as i64;
        if cents == 0 {
            continue;
        }
        let purchases = rng.random_range(1..=3i64);
        let mut left = cents;
        for purchase in 0..purchases {
            let amount = if purchase + 1 == purchases {
                left
            } else {
                cents / purchases
            };
            left -= amount;
            let day = week + chrono::Days::new(rng.random_range(0..7));
            rows.push((
                day,
                fields[0].into(),
                format!("{:.2}", amount as f64 / 100.0),
            ));
        }
        if rng.random_range(0..50) == 0 {
            let day = week + chrono::Days::new(rng.random_range(0..7));
            rows.push((
                day,
                fields[0].into(),
                format!("-{:.2}", cents as f64 / 300.0),
            ));
        }
    }
    rows.sort_by_key(|row| row.0);
    let mut log = String::from("customer_id,date,amount\n");
    for (day, id, amount) in rows {
        log.push_str(&format!("{id},{day},{amount}\n"));
    }
    log
}

/// A transaction log streams to the whole run's report: purchases of a customer and day
/// merged, returns netted and counted, weeks floored at zero, rows after --as-of counted, a
/// bad row skipped; CSV and Parquet, with and without a customers file and an amount column,
/// the top and everyone, any part size.
#[test]
fn a_transaction_log_streams_to_the_whole_runs_report() {
    use rand::SeedableRng;
    let dir = tempfile::tempdir().unwrap();
    let (grouped, _) = panel(dir.path());
    let customers = grouped.with_file_name("customers.csv");
    let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(21);
    let log_text = transaction_log(&grouped, &mut rng);
    let log_csv = dir.path().join("log.csv");
    std::fs::write(&log_csv, &log_text).unwrap();
    let log_parquet = dir.path().join("log.parquet");
    parquet_with(&log_csv, &log_parquet, ["customer_id", "date", "amount"]);
    let with_bad = dir.path().join("log-bad.csv");
    let mut lines: Vec<&str> = log_text.lines().collect();
    lines.insert(1_000, "7,2025-13-40,5.00");
    std::fs::write(&with_bad, format!("{}\n", lines.join("\n"))).unwrap();

    let top = |input: &Path, extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["analyze", "--transactions", input.to_str().unwrap()];
        args.extend(RULES);
        args.extend(["25", "--format", "json"]);
        args.extend(extra);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report.as_object_mut().unwrap().remove("generated_at");
        report
    };
    let customers_args = ["--customers", customers.to_str().unwrap()];
    let cases: [(&Path, Vec<&str>); 5] = [
        (&log_csv, vec![]),
        (&log_parquet, vec![]),
        (&with_bad, vec!["--as-of", "2026-01-01"]),
        (&log_csv, customers_args.to_vec()),
        (&log_csv, vec!["--count-only"]),
    ];
    for (input, extra) in cases {
        let whole = top(input, &[&extra[..], &["--no-snapshot"]].concat());
        let load = &whole["load"];
        let counted = extra.contains(&"--count-only");
        assert_eq!(
            load["returns_netted"].as_u64().unwrap() > 0,
            !counted,
            "{load}"
        );
        let expected = comparable(whole);
        for part in ["1", "97", "100000"] {
            let streamed = top(
                input,
                &[&extra[..], &["--stream", "--stream-part", part]].concat(),
            );
            assert_eq!(
                streamed,
                expected,
                "{} {extra:?} in parts of {part}",
                input.display()
            );
        }
    }

    // Everyone with a gap, in JSON lines: the whole run's rows, once sorted by rank.
    assert_listing_streams_as_whole(&["--transactions", log_csv.to_str().unwrap()], &["401"]);
}

/// Customers who buy only after --as-of are left out and their rows counted, wherever their
/// bucket falls (first, last, between): the streamed counts are the whole run's.
#[test]
fn a_log_whose_later_customers_fill_whole_buckets_keeps_their_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let mut text = String::from("customer_id,date,amount\n");
    for week in 0..12u64 {
        let day =
            chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap() + chrono::Days::new(7 * week);
        for customer in 0..205 {
            // Most customers start after the cut (2025-03-01), so the last bucket likely
            // holds only such customers; a few buy all along.
            if customer < 5 || week >= 9 {
                let spend = if week >= 7 {
                    5.0
                } else {
                    20.0 + customer as f64
                };
                text.push_str(&format!("c{customer},{day},{spend:.2}\n"));
            }
        }
    }
    std::fs::write(&path, text).unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["analyze", "--transactions", path.to_str().unwrap()];
        args.extend(EVERYONE);
        args.extend(["--as-of", "2025-03-01", "--format", "json"]);
        args.extend(extra);
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        let mut report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report.as_object_mut().unwrap().remove("generated_at");
        report["customers"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|c| c["rank"].as_u64());
        report
    };
    let whole = comparable(run(&["--no-snapshot"]));
    assert_eq!(whole["summary"]["customers_analyzed"], 5);
    // Weeks 8 to 11 are after the cut: 4 weeks of the 5, 3 weeks of the other 200.
    assert_eq!(whole["load"]["rows_after_as_of"], 4 * 5 + 3 * 200);
    for part in ["1", "2", "3", "100000"] {
        assert_eq!(
            run(&["--stream", "--stream-part", part]),
            whole,
            "parts of {part}"
        );
    }
}

/// The weekly panel's header, as `generate` writes it.
const EXPECTED_HEADER: &str = "customer_id,week_start_date,weekly_spend";

#[test]
fn what_needs_every_customer_at_once_is_refused_in_one_line() {
    let weekly = common::fixture("seed/retail_weekly_sales.csv");
    let customers = common::fixture("seed/retail_customers.csv");
    let weekly = weekly.to_str().unwrap();
    let cases: [(Vec<&str>, &str); 2] = [
        (
            vec!["--no-learning", "--customers", customers.to_str().unwrap()],
            "--stream: the BG/NBD churn model is fitted on every customer at once; expected --churn-model rules",
        ),
        (
            vec![
                "--churn-model",
                "rules",
                "--no-learning",
                "--baseline",
                "seasonal",
            ],
            "weeks take the seasonal baseline, whose profile is everyone's; expected --baseline original or trailing",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["analyze", "--weekly", weekly, "--stream"];
        args.extend(&extra);
        let output = revgap(&args);
        assert!(!output.status.success(), "{extra:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
}
