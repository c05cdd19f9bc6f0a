//! The malformed-input corpus in tests/data/malformed: every file gets one clear stderr line
//! naming file, line (and column where one field is at fault) and what was expected; never a
//! panic. Row-level problems are skipped and counted by default and fatal with --strict.

mod common;

struct Case {
    file: &'static str,
    /// "weekly", "customers" (with a valid weekly file) or "transactions".
    role: &'static str,
    /// Expected `file:line[:column (name)]` suffix and message fragment.
    location: &'static str,
    message: &'static str,
    /// Skipped rows in lenient mode; `None` when the problem is fatal anyway.
    lenient_skipped: Option<u64>,
}

const CASES: &[Case] = &[
    Case {
        file: "non_numeric_spend.csv",
        role: "weekly",
        location: ":3:3 (weekly_spend)",
        message: "expected a number from 0 to 1e12, found \"abc\"",
        lenient_skipped: Some(1),
    },
    Case {
        file: "nan_spend.csv",
        role: "weekly",
        location: ":3:3 (weekly_spend)",
        message: "found \"NaN\"",
        lenient_skipped: Some(1),
    },
    Case {
        file: "infinite_spend.csv",
        role: "weekly",
        location: ":3:3 (weekly_spend)",
        message: "found \"inf\"",
        lenient_skipped: Some(1),
    },
    Case {
        file: "negative_spend.csv",
        role: "weekly",
        location: ":3:3 (weekly_spend)",
        message: "expected a number from 0 to 1e12, found \"-4.20\"",
        lenient_skipped: Some(1),
    },
    Case {
        file: "bad_date.csv",
        role: "weekly",
        location: ":3:2 (week_start_date)",
        message: "expected a date as YYYY-MM-DD",
        lenient_skipped: Some(1),
    },
    Case {
        file: "ragged_short.csv",
        role: "weekly",
        location: ":3: ",
        message: "expected 3 fields (as in the header), found 2",
        lenient_skipped: Some(1),
    },
    Case {
        file: "ragged_long.csv",
        role: "weekly",
        location: ":3: ",
        message: "expected 3 fields (as in the header), found 4",
        lenient_skipped: Some(1),
    },
    Case {
        file: "duplicate_week.csv",
        role: "weekly",
        location: ":3: ",
        message: "expected one row per (customer, week)",
        lenient_skipped: Some(1),
    },
    Case {
        file: "off_week_grid.csv",
        role: "weekly",
        location: ":5: ",
        message: "on the weekly grid",
        lenient_skipped: Some(1),
    },
    Case {
        file: "empty_id.csv",
        role: "weekly",
        location: ":3:1 (customer_id)",
        message: "expected a customer id",
        lenient_skipped: Some(1),
    },
    Case {
        file: "unterminated_quote.csv",
        role: "weekly",
        location: ":3: ",
        message: "a quoted field runs across a line break",
        lenient_skipped: None,
    },
    Case {
        file: "missing_column.csv",
        role: "weekly",
        location: ":1: ",
        message: "missing column 'week_start_date'",
        lenient_skipped: None,
    },
    Case {
        file: "wrong_delimiter.csv",
        role: "weekly",
        location: ":1: ",
        message: "--delimiter ';'",
        lenient_skipped: None,
    },
    Case {
        file: "empty.csv",
        role: "weekly",
        location: ": ",
        message: "empty file; expected a header line",
        lenient_skipped: None,
    },
    Case {
        file: "header_only.csv",
        role: "weekly",
        location: ": ",
        message: "no usable data rows",
        lenient_skipped: None,
    },
    Case {
        file: "no_valid_rows.csv",
        role: "weekly",
        location: ":2:3 (weekly_spend)",
        message: "found \"x\"",
        lenient_skipped: None,
    },
    Case {
        file: "customers_bad_bool.csv",
        role: "customers",
        location: ":2:4 (loyalty_member)",
        message: "expected True/False/true/false/1/0/yes/no",
        lenient_skipped: Some(0),
    },
    Case {
        file: "customers_bad_age.csv",
        role: "customers",
        location: ":2:2 (age)",
        message: "expected a whole number, found \"forty\"",
        lenient_skipped: Some(0),
    },
    Case {
        file: "transactions_bad_amount.csv",
        role: "transactions",
        location: ":3:3 (amount)",
        message: "expected a number from -1e12 to 1e12, found \"ten\"",
        lenient_skipped: Some(1),
    },
];

fn run(case: &Case, strict: bool) -> (i32, String, String) {
    let path = common::fixture(&format!("malformed/{}", case.file));
    let mut command = common::command();
    command.args(["analyze", "--format", "json"]);
    match case.role {
        "customers" => {
            command
                .arg("--weekly")
                .arg(common::fixture("valid/weekly.csv"));
            command.arg("--customers").arg(&path);
        }
        "transactions" => {
            command.arg("--transactions").arg(&path);
        }
        _ => {
            command.arg("--weekly").arg(&path);
        }
    }
    if strict {
        command.arg("--strict");
    }
    let output = command.output().expect("binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn strict_mode_gives_one_line_with_file_line_and_column() {
    for case in CASES {
        let path = common::fixture(&format!("malformed/{}", case.file));
        let (code, stdout, stderr) = run(case, true);
        assert_eq!(code, 65, "{}: exit code, stderr: {stderr}", case.file);
        assert!(stdout.is_empty(), "{}: nothing on stdout", case.file);
        assert_eq!(
            stderr.lines().count(),
            1,
            "{}: one line: {stderr}",
            case.file
        );
        let expected_prefix = format!("revgap: error: {}{}", path.display(), case.location);
        assert!(
            stderr.starts_with(&expected_prefix),
            "{}:\n  got  {stderr}  want {expected_prefix}",
            case.file
        );
        assert!(stderr.contains(case.message), "{}: {stderr}", case.file);
        assert!(!stderr.contains("panicked"));
    }
}

#[test]
fn lenient_mode_skips_counts_and_reports_bad_rows() {
    for case in CASES {
        let (code, stdout, stderr) = run(case, false);
        match case.lenient_skipped {
            None => assert_eq!(code, 65, "{}: still fatal: {stderr}", case.file),
            Some(skipped) => {
                assert_eq!(code, 0, "{}: {stderr}", case.file);
                let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert_eq!(json["summary"]["skipped_rows"], skipped, "{}", case.file);
                if case.role == "customers" {
                    assert_eq!(json["load"]["skipped_customer_rows"], 1, "{}", case.file);
                }
                assert!(
                    stderr.contains("warning: skipped 1 bad row"),
                    "{}: {stderr}",
                    case.file
                );
                assert!(
                    stderr.contains(case.message),
                    "{}: the problem is shown: {stderr}",
                    case.file
                );
            }
        }
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.file);
    }
}

#[test]
fn bom_and_crlf_files_load_like_plain_ones() {
    let load = |name: &str| {
        revgap::data::load_weekly(
            common::fixture(name).to_str().unwrap(),
            &Default::default(),
            revgap::data::RowPolicy::Strict,
            None,
        )
        .unwrap()
    };
    let plain = load("valid/weekly.csv");
    for name in ["valid/bom.csv", "valid/crlf.csv"] {
        let other = load(name);
        assert_eq!(
            other.customer_ids.iter().collect::<Vec<_>>(),
            ["1", "2"],
            "{name}"
        );
        assert_eq!(other.spend.len(), 4, "{name}");
        assert_eq!(*other.spend.row(0, 4), *plain.spend.row(0, 4), "{name}");
    }
}

#[test]
fn missing_file_is_exit_66_with_the_path() {
    let output = common::command()
        .args(["analyze", "--weekly", "does/not/exist.csv"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(66));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("revgap: error: does/not/exist.csv: cannot read"),
        "{stderr}"
    );
}
