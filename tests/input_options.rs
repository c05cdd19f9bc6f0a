//! Input as analysts have it: a weekly panel with other column names and US dates gives the
//! same report as the original file; a date that does not fit the format, and a format that
//! cannot be a date, are one clear line each.

mod common;

use common::{report_json, revgap};

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

#[test]
fn other_column_names_and_us_dates_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let panel = renamed_us_panel(dir.path());
    let seed = common::fixture("seed/retail_weekly_sales.csv");
    let expected = report_json(&[
        "analyze",
        "--weekly",
        seed.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let found = report_json(&[
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
    let by_number = report_json(&[
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

/// The seed panel with amounts as people write them: `$1,234.50` in a comma file, and
/// `1.234,50 €` with `;` as the separator and `--decimal ,`.
#[test]
fn currency_symbols_thousands_and_decimal_commas_give_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let seed = common::fixture("seed/retail_weekly_sales.csv");
    let text = std::fs::read_to_string(&seed).unwrap();
    let mut dollars = String::from("customer_id,week_start_date,weekly_spend\n");
    let mut euros = String::from("customer_id;week_start_date;weekly_spend\n");
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        // Scaled up so that thousands separators appear.
        let cents = (fields[2].parse::<f64>().unwrap() * 100.0).round() as i64 * 30;
        let (whole, fraction) = (cents / 100, cents % 100);
        let grouped = |separator: char| {
            let digits = whole.to_string();
            let mut out = String::new();
            for (i, digit) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push(separator);
                }
                out.push(digit);
            }
            out
        };
        dollars.push_str(&format!(
            "{},{},\"${}.{fraction:02}\"\n",
            fields[0],
            fields[1],
            grouped(',')
        ));
        euros.push_str(&format!(
            "{};{};{},{fraction:02} €\n",
            fields[0],
            fields[1],
            grouped('.')
        ));
    }
    let mut plain = String::from("customer_id,week_start_date,weekly_spend\n");
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let cents = (fields[2].parse::<f64>().unwrap() * 100.0).round() as i64 * 30;
        plain.push_str(&format!(
            "{},{},{}.{:02}\n",
            fields[0],
            fields[1],
            cents / 100,
            cents % 100
        ));
    }
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let (plain, dollars, euros) = (
        write("plain.csv", &plain),
        write("dollars.csv", &dollars),
        write("euros.csv", &euros),
    );
    let expected = report_json(&[
        "analyze", "--weekly", &plain, "--format", "json", "--strict",
    ]);
    assert!(expected["summary"]["customers_with_gaps"].as_u64().unwrap() > 100);
    assert_eq!(
        report_json(&[
            "analyze", "--weekly", &dollars, "--format", "json", "--strict"
        ]),
        expected
    );
    assert_eq!(
        report_json(&[
            "analyze",
            "--weekly",
            &euros,
            "--delimiter",
            ";",
            "--decimal",
            ",",
            "--format",
            "json",
            "--strict",
        ]),
        expected
    );
}

/// A customers file with only some attribute columns: the others are unknown, never an error.
#[test]
fn a_customers_file_with_any_subset_of_attributes_loads() {
    let dir = tempfile::tempdir().unwrap();
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "region,customer_id,loyalty_member\nNorth,1,yes\nSouth,2,\n",
    )
    .unwrap();
    let seed = common::fixture("seed/retail_weekly_sales.csv");
    let output = revgap(&[
        "analyze",
        "--weekly",
        seed.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
        "--format",
        "jsonl",
        "--strict",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = lines.iter().find(|c| c["customer_id"] == "1").unwrap();
    assert_eq!(
        first["attributes"],
        serde_json::json!({"age": null, "household_size": null, "loyalty_member": true, "region": "North"})
    );
    let second = lines.iter().find(|c| c["customer_id"] == "2");
    if let Some(second) = second {
        assert_eq!(
            second["attributes"]["loyalty_member"],
            serde_json::Value::Null
        );
    }
    // Without the id column it is still one clear line.
    std::fs::write(&customers, "region,age\nNorth,30\n").unwrap();
    let output = revgap(&[
        "analyze",
        "--weekly",
        seed.to_str().unwrap(),
        "--customers",
        customers.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("missing column 'customer_id'"), "{stderr}");
}
