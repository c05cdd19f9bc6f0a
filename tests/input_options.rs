//! Input as analysts have it: a weekly panel with other column names and US dates gives the
//! same report as the original file; a date that does not fit the format, and a format that
//! cannot be a date, are one clear line each.

mod common;

use common::{json, revgap};

/// The seed panel rewritten as `cust;week;amount` columns in another order, dates as
/// `%m/%d/%Y`, with an extra column.
fn renamed_us_panel(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::fixture("seed/retail_weekly_sales.csv")).unwrap();
    let mut out = String::from("store,amount,cust,week\n");
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let date: chrono::NaiveDate = fields[1].parse().unwrap();
        out.push_str(&format!(
            "north,{},{},{}\n",
            fields[2],
            fields[0],
            date.format("%m/%d/%Y")
        ));
    }
    let path = dir.join("panel.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn report(args: &[&str]) -> serde_json::Value {
    let mut report = json(args);
    let object = report.as_object_mut().unwrap();
    object.remove("generated_at");
    object.remove("source");
    report
}

#[test]
fn other_column_names_and_us_dates_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let panel = renamed_us_panel(dir.path());
    let seed = common::fixture("seed/retail_weekly_sales.csv");
    let expected = report(&[
        "analyze",
        "--weekly",
        seed.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let found = report(&[
        "analyze",
        "--weekly",
        panel.to_str().unwrap(),
        "--id-col",
        "cust",
        "--week-col",
        "week",
        "--spend-col",
        "amount",
        "--date-format",
        "%m/%d/%Y",
        "--format",
        "json",
    ]);
    assert_eq!(found, expected);
    // By number, too.
    let by_number = report(&[
        "analyze",
        "--weekly",
        panel.to_str().unwrap(),
        "--id-col",
        "3",
        "--week-col",
        "4",
        "--spend-col",
        "2",
        "--date-format",
        "%m/%d/%Y",
        "--format",
        "json",
    ]);
    assert_eq!(by_number["summary"], expected["summary"]);
}

#[test]
fn dates_that_do_not_fit_the_format_and_formats_that_are_not_dates_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let panel = renamed_us_panel(dir.path());
    // The file's dates are US dates: read as day-first, the 13th month does not exist.
    let output = revgap(&[
        "analyze",
        "--weekly",
        panel.to_str().unwrap(),
        "--id-col",
        "cust",
        "--week-col",
        "week",
        "--spend-col",
        "amount",
        "--date-format",
        "%d/%m/%Y",
        "--strict",
    ]);
    assert_eq!(output.status.code(), Some(65));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(":4 (week): expected a date as %d/%m/%Y, found"),
        "{stderr}"
    );

    let output = revgap(&["analyze", "--date-format", "%Y"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "\"%Y\": expected a chrono date format with a day, a month and a year, such as %m/%d/%Y or %d.%m.%Y"
        ),
        "{stderr}"
    );
}
