//! Parquet in and out: a weekly panel in Parquet gives the same report as the same panel in
//! CSV (text or integer ids, date or text weeks, any number type); bad values are named by
//! file, row and column; `--format parquet` writes the CSV's columns, typed.

mod common;

use arrow_array::builder::StringBuilder;
use arrow_array::builder::{Date32Builder, Float32Builder, Float64Builder, Int64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use common::{report_json, revgap};
use std::sync::Arc;

/// The bundled sample's rows: (id, week start, spend).
fn sample_rows() -> Vec<(String, chrono::NaiveDate, f64)> {
    let text = std::fs::read_to_string(common::fixture("seed/retail_weekly_sales.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (
                fields[0].to_string(),
                fields[1].parse().unwrap(),
                fields[2].parse().unwrap(),
            )
        })
        .collect()
}

fn write_parquet(path: &std::path::Path, columns: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(name, array)| Field::new(*name, array.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

fn epoch_days(date: chrono::NaiveDate) -> i32 {
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

#[test]
fn parquet_and_csv_inputs_give_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let rows = sample_rows();
    let csv = common::fixture("seed/retail_weekly_sales.csv");
    let expected = report_json(&[
        "analyze",
        "--weekly",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);

    // Text ids, DATE weeks, double spend.
    let mut ids = StringBuilder::new();
    let mut weeks = Date32Builder::new();
    let mut spend = Float64Builder::new();
    for (id, week, value) in &rows {
        ids.append_value(id);
        weeks.append_value(epoch_days(*week));
        spend.append_value(*value);
    }
    let typed = dir.path().join("weekly.parquet");
    write_parquet(
        &typed,
        vec![
            ("weekly_spend", Arc::new(spend.finish())),
            ("customer_id", Arc::new(ids.finish())),
            ("week_start_date", Arc::new(weeks.finish())),
        ],
    );
    let found = report_json(&[
        "analyze",
        "--weekly",
        typed.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(found, expected);

    // Integer ids, ISO text weeks, single-precision spend rounded to cents: the same gaps.
    let mut ids = Int64Builder::new();
    let mut weeks = StringBuilder::new();
    let mut spend = Float32Builder::new();
    for (id, week, value) in &rows {
        ids.append_value(id.parse().unwrap());
        weeks.append_value(week.to_string());
        spend.append_value(*value as f32);
    }
    let loose = dir.path().join("loose.data");
    write_parquet(
        &loose,
        vec![
            ("customer_id", Arc::new(ids.finish())),
            ("week_start_date", Arc::new(weeks.finish())),
            ("weekly_spend", Arc::new(spend.finish())),
        ],
    );
    let found = report_json(&[
        "analyze",
        "--weekly",
        loose.to_str().unwrap(),
        "--input-format",
        "parquet",
        "--format",
        "json",
    ]);
    for key in [
        "customers_with_gaps",
        "gaps_by_type",
        "churn_risk_customers",
    ] {
        assert_eq!(found["summary"][key], expected["summary"][key], "{key}");
    }
}

#[test]
fn bad_parquet_values_are_named_by_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.parquet");
    let day = epoch_days(chrono::NaiveDate::from_ymd_opt(2025, 9, 6).unwrap());
    let mut ids = StringBuilder::new();
    let mut weeks = Date32Builder::new();
    let mut spend = Float64Builder::new();
    for (id, week, value) in [
        ("a", Some(day), Some(10.0)),
        ("a", Some(day + 7), Some(12.0)),
        ("b", Some(day), Some(-5.0)),
        ("b", None, Some(3.0)),
    ] {
        ids.append_value(id);
        weeks.append_option(week);
        spend.append_option(value);
    }
    write_parquet(
        &path,
        vec![
            ("customer_id", Arc::new(ids.finish())),
            ("week_start_date", Arc::new(weeks.finish())),
            ("weekly_spend", Arc::new(spend.finish())),
        ],
    );
    let shown = path.to_str().unwrap();
    let strict = revgap(&["analyze", "--weekly", shown, "--strict"]);
    assert_eq!(strict.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "revgap: error: {shown}:3:3 (weekly_spend): expected a spend of 0 or more, found -5"
        )
    );
    let lenient = revgap(&["analyze", "--weekly", shown, "--format", "json"]);
    assert!(lenient.status.success());
    let warning = String::from_utf8_lossy(&lenient.stderr);
    assert!(warning.contains("skipped 2 bad row(s)"), "{warning}");
    assert!(
        warning.contains(&format!(
            "{shown}:4:2 (week_start_date): expected a date (YYYY-MM-DD), found nothing"
        )),
        "{warning}"
    );

    // A file without the panel's columns.
    let other = dir.path().join("other.parquet");
    let mut names = StringBuilder::new();
    names.append_value("x");
    write_parquet(&other, vec![("name", Arc::new(names.finish()))]);
    let output = revgap(&["analyze", "--weekly", other.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("expected columns customer_id,week_start_date,weekly_spend; column \"customer_id\" is missing (found name)"),
        "{stderr}"
    );
    // Not Parquet at all.
    let text = dir.path().join("text.parquet");
    std::fs::write(&text, "customer_id,week_start_date,weekly_spend\n").unwrap();
    let output = revgap(&["analyze", "--weekly", text.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a readable Parquet file"), "{stderr}");
}

#[test]
fn parquet_output_has_the_csv_columns_typed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.parquet");
    let no_file = revgap(&["analyze", "--format", "parquet"]);
    assert_eq!(no_file.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("expected --out FILE"));
    assert!(
        revgap(&[
            "analyze",
            "--format",
            "parquet",
            "--out",
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    let csv = String::from_utf8(revgap(&["analyze", "--format", "csv"]).stdout).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();

    let file = std::fs::File::open(&out).unwrap();
    let batches: Vec<RecordBatch> =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, header);
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, records.len());
    let column = |name: &str| schema.index_of(name).unwrap();
    assert_eq!(schema.field(column("rank")).data_type(), &DataType::Int64);
    assert_eq!(
        schema.field(column("priority_score")).data_type(),
        &DataType::Float64
    );
    assert_eq!(
        schema.field(column("loyalty_member")).data_type(),
        &DataType::Boolean
    );
    assert_eq!(
        schema.field(column("customer_id")).data_type(),
        &DataType::Utf8
    );
    // Every cell equals the CSV's, row by row.
    let mut row = 0;
    for batch in &batches {
        for index in 0..batch.num_rows() {
            for (position, name) in header.iter().enumerate() {
                let array = batch.column(position);
                let text = if array.is_null(index) {
                    String::new()
                } else {
                    arrow_cast::display::array_value_to_string(array, index).unwrap()
                };
                let expected = &records[row][position];
                let same = text == *expected
                    || text.parse::<f64>().ok() == expected.parse::<f64>().ok()
                        && !expected.is_empty();
                assert!(same, "row {row} {name}: {text:?} against {expected:?}");
            }
            row += 1;
        }
    }
}

/// A transaction log in Parquet (CDNOW: integer ids, DATE days, double amounts, a return added)
/// gives the report the same log gives as whitespace-separated text; without its amount
/// column (`--count-only`) each row is one purchase, as for CSV.
#[test]
fn parquet_transaction_logs_give_the_text_logs_report() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::fixture("cdnow/CDNOW_sample.txt")).unwrap();
    let mut rows: Vec<(i64, chrono::NaiveDate, f64)> = text
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (
                fields[1].parse().unwrap(),
                chrono::NaiveDate::parse_from_str(fields[2], "%Y%m%d").unwrap(),
                fields[4].parse().unwrap(),
            )
        })
        .collect();
    // A return, netted into its week like a CSV log's.
    let (id, day, _) = rows[10];
    rows.insert(11, (id, day, -5.0));
    let log = dir.path().join("log.txt");
    std::fs::write(
        &log,
        rows.iter()
            .map(|(id, day, amount)| format!("{id} {} {amount}\n", day.format("%Y%m%d")))
            .collect::<String>(),
    )
    .unwrap();
    let mut ids = Int64Builder::new();
    let mut days = Date32Builder::new();
    let mut amounts = Float64Builder::new();
    for (id, day, amount) in &rows {
        ids.append_value(*id);
        days.append_value(epoch_days(*day));
        amounts.append_value(*amount);
    }
    let parquet = dir.path().join("log.parquet");
    write_parquet(
        &parquet,
        vec![
            ("amount", Arc::new(amounts.finish())),
            ("customer_id", Arc::new(ids.finish())),
            ("date", Arc::new(days.finish())),
        ],
    );
    let text_args = |extra: &[&str]| {
        let mut args = vec![
            "analyze",
            "--transactions",
            log.to_str().unwrap(),
            "--no-header",
            "--delimiter",
            "whitespace",
            "--id-col",
            "1",
            "--date-col",
            "2",
            "--churn-model",
            "rules",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        report_json(&args)
    };
    let parquet_args = |extra: &[&str]| {
        let mut args = vec![
            "analyze",
            "--transactions",
            parquet.to_str().unwrap(),
            "--churn-model",
            "rules",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        report_json(&args)
    };
    let expected = text_args(&["--amount-col", "3"]);
    assert_eq!(expected["load"]["returns_netted"].as_u64(), Some(1));
    // The readers sum a week's purchases in their own order: full-precision shares may
    // differ in the last bits, never more.
    assert_same_report(&parquet_args(&[]), &expected, "");
    assert_same_report(&parquet_args(&["--count-only"]), &text_args(&[]), "");
}

/// Equal JSON, numbers within 1e-12 of each other relatively.
fn assert_same_report(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            assert_eq!(
                x.keys().collect::<Vec<_>>(),
                y.keys().collect::<Vec<_>>(),
                "{path}"
            );
            for (key, value) in x {
                assert_same_report(value, &y[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{path}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                assert_same_report(p, q, &format!("{path}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
                "{path}: {x} vs {y}"
            );
        }
        _ => assert_eq!(a, b, "{path}"),
    }
}

/// Past one slice of rows (8,192) and one row group (65,536): every listed customer, in the
/// CSV's order with the CSV's rank, however the rows were built in parallel and gathered.
#[test]
fn parquet_output_of_many_customers_keeps_the_csvs_order() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    // The original's shape: most customers have a gap, so the listing spans row groups.
    let generated = revgap(&[
        "generate",
        "--customers",
        "120000",
        "--shape",
        "original",
        "--out",
        data,
    ]);
    assert!(generated.status.success());
    let weekly = dir.path().join("weekly_spend.csv");
    let out = dir.path().join("report.parquet");
    let analyze = |format: &str, out: Option<&std::path::Path>| {
        let mut args = vec![
            "analyze",
            "--weekly",
            weekly.to_str().unwrap(),
            "--no-snapshot",
            "--format",
            format,
        ];
        if let Some(out) = out {
            args.extend(["--out", out.to_str().unwrap()]);
        }
        let output = revgap(&args);
        assert!(output.status.success(), "{output:?}");
        output.stdout
    };
    let csv = analyze("csv", None);
    analyze("parquet", Some(&out));
    let expected: Vec<(String, String)> = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(csv.as_slice())
        .records()
        .map(|record| {
            let record = record.unwrap();
            (record[0].to_string(), record[1].to_string())
        })
        .collect();
    assert!(expected.len() > 65_536, "{} listed", expected.len());
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&out).unwrap(),
    )
    .unwrap();
    assert!(reader.metadata().num_row_groups() >= 2);
    let mut written = Vec::new();
    for batch in reader.build().unwrap() {
        let batch = batch.unwrap();
        let text = |name: &str, row: usize| {
            let column = batch.column(batch.schema().index_of(name).unwrap()).clone();
            arrow_cast::display::array_value_to_string(&column, row).unwrap()
        };
        for row in 0..batch.num_rows() {
            written.push((text("rank", row), text("customer_id", row)));
        }
    }
    assert_eq!(written, expected);
}
