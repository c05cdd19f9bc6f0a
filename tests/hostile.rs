//! The hostile corpus: files, flags and configs built to break revgap, each run through the real
//! binary in both row policies (lenient and `--strict`) under a memory limit and a deadline.
//! Every case must end with a documented exit code (no crash, no signal, no hang), say what is
//! wrong in one line when it fails, and never put a control, escape or bidi character in any
//! output. Cases that name a message check that the message says what the user needs.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space a run may reserve: an accidental 8 GB grid would abort under it.
const MEMORY_LIMIT_KB: u64 = 3_000_000;
/// A run that takes longer than this has hung.
const DEADLINE: Duration = Duration::from_secs(60);
/// Exit codes the README documents.
const DOCUMENTED: [i32; 6] = [0, 2, 65, 66, 73, 78];

/// Where the spend in a case goes.
#[derive(Clone, Copy, PartialEq)]
enum Input {
    Weekly,
    Transactions,
    /// A valid weekly panel with this file as the customers file.
    Customers,
    /// The valid panel with this text as the `--config` file.
    Config,
    /// No file: only the extra arguments.
    ArgsOnly,
}

struct Case {
    name: &'static str,
    input: Input,
    content: Vec<u8>,
    args: Vec<&'static str>,
    /// Expected exit code (lenient, strict).
    codes: (i32, i32),
    /// A fragment the failing run's stderr must contain.
    says: &'static str,
}

fn case(
    name: &'static str,
    input: Input,
    content: impl Into<Vec<u8>>,
    codes: (i32, i32),
    says: &'static str,
) -> Case {
    Case {
        name,
        input,
        content: content.into(),
        args: Vec::new(),
        codes,
        says,
    }
}

impl Case {
    fn with_args(mut self, args: &[&'static str]) -> Self {
        self.args.extend_from_slice(args);
        self
    }
}

/// Ten weeks for two customers, then `extra` rows.
fn panel(extra: &str) -> String {
    let mut text = String::from("customer_id,week_start_date,weekly_spend\n");
    for id in ["1", "2"] {
        for week in 0..10 {
            let day =
                chrono::NaiveDate::from_ymd_opt(2025, 7, 5).unwrap() + chrono::Days::new(7 * week);
            text.push_str(&format!("{id},{day},{}\n", 50 + week));
        }
    }
    text.push_str(extra);
    text
}

/// A log of ten weeks for two customers, then `extra` rows.
fn log(extra: &str) -> String {
    let mut text = String::from("customer_id,date,amount\n");
    for id in ["1", "2"] {
        for week in 0..10 {
            let day = chrono::NaiveDate::from_ymd_opt(2025, 7, 5).unwrap()
                + chrono::Days::new(7 * week + 2);
            text.push_str(&format!("{id},{day},{}.25\n", 20 + week));
        }
    }
    text.push_str(extra);
    text
}

fn config(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn cases() -> Vec<Case> {
    use Input::*;
    let ok = (0, 0);
    let bad_row = (0, 65);
    let fatal = (65, 65);
    let bad_config = (78, 78);
    let mut all = vec![
        // Files that are not data.
        case("empty", Weekly, "", fatal, "empty file"),
        case(
            "header only",
            Weekly,
            "customer_id,week_start_date,weekly_spend\n",
            fatal,
            "no usable data rows",
        ),
        case("bom only", Weekly, "\u{feff}", fatal, "empty file"),
        case(
            "blank lines only",
            Weekly,
            "\n\n \n\r\n",
            fatal,
            "empty file",
        ),
        case(
            "binary garbage",
            Weekly,
            (0..4096u32)
                .map(|i| (i * 7919 % 251) as u8)
                .collect::<Vec<u8>>(),
            fatal,
            "expected",
        ),
        case(
            "gzip bytes",
            Weekly,
            vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 10, 0xff, 0xfe],
            fatal,
            "expected",
        ),
        case(
            "utf-16",
            Weekly,
            b"\xff\xfec\x00u\x00s\x00\n\x00".to_vec(),
            fatal,
            "missing column",
        ),
        case(
            "wrong delimiter",
            Weekly,
            "customer_id;week_start_date;weekly_spend\n1;2025-07-05;3\n",
            fatal,
            "--delimiter ';'",
        ),
        case(
            "missing column",
            Weekly,
            "customer_id,week,weekly_spend\n1,2025-07-05,3\n",
            fatal,
            "missing column 'week_start_date'",
        ),
        case(
            "duplicate header",
            Weekly,
            "customer_id,week_start_date,weekly_spend,weekly_spend\n1,2025-07-05,3,4\n",
            fatal,
            "appears twice",
        ),
        case(
            "endless line",
            Weekly,
            {
                let mut text = b"customer_id,week_start_date,weekly_spend\n1,2025-07-05,".to_vec();
                text.resize(text.len() + (9 << 20), b'7');
                text
            },
            fatal,
            "longer than 8 MiB",
        ),
        case(
            "endless header",
            Weekly,
            vec![b'x'; 9 << 20],
            fatal,
            ":1: line longer than 8 MiB",
        ),
        case(
            "ten thousand columns",
            Weekly,
            format!("{}\n", vec!["a"; 10_000].join(",")),
            fatal,
            "missing column",
        ),
        case(
            "old mac line ends",
            Weekly,
            "customer_id,week_start_date,weekly_spend\r1,2025-07-05,3\r",
            fatal,
            "expected",
        ),
        // Rows that must be skipped (lenient) or stop the run (strict).
        case(
            "nul in id",
            Weekly,
            panel("1\0,2025-09-06,600\n"),
            bad_row,
            "without control or bidi characters",
        ),
        case(
            "escape in id",
            Weekly,
            panel("\x1b[2J,2025-09-06,600\n"),
            bad_row,
            "without control or bidi characters",
        ),
        case(
            "bidi override in id",
            Weekly,
            panel("\u{202e}3,2025-09-06,600\n"),
            bad_row,
            "without control or bidi characters",
        ),
        case(
            "invalid utf-8 id",
            Weekly,
            [
                panel("").into_bytes(),
                b"\xff\xfe,2025-09-06,600\n".to_vec(),
            ]
            .concat(),
            bad_row,
            "UTF-8",
        ),
        case(
            "id of 300 bytes",
            Weekly,
            panel(&format!("{},2025-09-06,1\n", "x".repeat(300))),
            bad_row,
            "at most 256 bytes",
        ),
        case(
            "spend 1e308",
            Weekly,
            panel("3,2025-09-06,1e308\n"),
            bad_row,
            "a number from 0 to 1e12",
        ),
        case(
            "spend 1e13",
            Weekly,
            panel("3,2025-09-06,10000000000000\n"),
            bad_row,
            "a number from 0 to 1e12",
        ),
        case(
            "spend 1e400",
            Weekly,
            panel("3,2025-09-06,1e400\n"),
            bad_row,
            "found \"1e400\"",
        ),
        case(
            "spend NaN",
            Weekly,
            panel("3,2025-09-06,NaN\n"),
            bad_row,
            "found \"NaN\"",
        ),
        case(
            "spend -inf",
            Weekly,
            panel("3,2025-09-06,-inf\n"),
            bad_row,
            "found \"-inf\"",
        ),
        case(
            "negative spend",
            Weekly,
            panel("3,2025-09-06,-1\n"),
            bad_row,
            "a number from 0 to 1e12",
        ),
        case(
            // Amounts as people write them are read (issue #14): a currency symbol is not a
            // bad number; an ambiguous decimal comma still is.
            "dollar sign",
            Weekly,
            panel("3,2025-09-06,$195.63\n"),
            ok,
            "",
        ),
        case(
            "decimal comma",
            Weekly,
            panel("3,2025-09-06,\"12,5\"\n"),
            bad_row,
            "found \"12,5\"",
        ),
        case(
            "impossible date",
            Weekly,
            panel("3,2025-02-30,1\n"),
            bad_row,
            "expected a date",
        ),
        case(
            "ragged row",
            Weekly,
            panel("3,2025-09-06\n"),
            bad_row,
            "expected 3 fields",
        ),
        case(
            "duplicate week",
            Weekly,
            panel("1,2025-07-05,9\n"),
            bad_row,
            "second row",
        ),
        case(
            "off-grid week",
            Weekly,
            panel("3,2025-09-07,9\n"),
            bad_row,
            "weekly grid",
        ),
        case(
            "whitespace fields",
            Weekly,
            panel("  ,  ,  \n"),
            bad_row,
            "customer id",
        ),
        // Fatal whatever the policy.
        case(
            "multi-line quoted id",
            Weekly,
            panel("\"line\nbreak\",2025-09-06,600\n"),
            fatal,
            "runs across a line break",
        ),
        case(
            "quote never closed",
            Weekly,
            panel("\"3,2025-09-06,600\n4,2025-09-06,1\n"),
            fatal,
            "runs across a line break",
        ),
        case(
            "date 0001-01-06 on the grid",
            Weekly,
            panel("3,0001-01-06,5\n"),
            (65, 65),
            "20-year",
        ),
        case(
            "every date mm/dd/yyyy",
            Weekly,
            "customer_id,week_start_date,weekly_spend\n1,07/05/2025,3\n1,07/12/2025,4\n",
            (65, 65),
            "found \"07/05/2025\"",
        ),
        case(
            "every amount with a dollar sign",
            Weekly,
            "customer_id,week_start_date,weekly_spend\n1,2025-07-05,$3\n1,2025-07-12,$4\n",
            ok,
            "",
        ),
        // Valid but adversarial content: must load and come out clean.
        case(
            "formula id",
            Weekly,
            panel(
                "=HYPERLINK(\"http://x\"),2025-07-05,900\n=HYPERLINK(\"http://x\"),2025-09-06,0\n",
            ),
            ok,
            "",
        ),
        case(
            "data block marker in id",
            Weekly,
            panel("</customer_data>,2025-07-05,5\n"),
            ok,
            "",
        ),
        case(
            "crlf and bom",
            Weekly,
            format!("\u{feff}{}", panel("").replace('\n', "\r\n")),
            ok,
            "",
        ),
        case(
            "leading blank lines",
            Weekly,
            format!("\n\n{}", panel("")),
            ok,
            "",
        ),
        case(
            "one row",
            Weekly,
            "customer_id,week_start_date,weekly_spend\n1,2025-07-05,3\n",
            ok,
            "",
        ),
        case(
            "all zero spend",
            Weekly,
            panel("").replace(",5", ",0"),
            ok,
            "",
        ),
        // Transaction logs.
        case(
            "log date 0001-01-01",
            Transactions,
            log("3,0001-01-01,5\n"),
            fatal,
            "20-year",
        ),
        case(
            "log nul in id",
            Transactions,
            log("1\0,2025-09-06,600\n"),
            bad_row,
            "without control or bidi characters",
        ),
        case(
            "log amount 1e308",
            Transactions,
            log("1,2025-09-06,1e308\n"),
            bad_row,
            "from -1e12 to 1e12",
        ),
        case(
            "log returns beyond purchases",
            Transactions,
            log("1,2025-09-06,-5000\n"),
            ok,
            "",
        ),
        case(
            "log timestamps with zones",
            Transactions,
            log("3,2025-09-06T23:59:59+14:00,5\n3,2025-09-06 00:00:00Z,5\n"),
            ok,
            "",
        ),
        case(
            "log multi-line field",
            Transactions,
            log("\"1\n\",2025-09-06,5\n"),
            fatal,
            "runs across a line break",
        ),
        case(
            "log all dates bad",
            Transactions,
            "customer_id,date,amount\n1,06/09/2025,3\n",
            fatal,
            "found \"06/09/2025\"",
        ),
        case(
            "log without amounts",
            Transactions,
            "customer_id,date\n1,2025-07-05\n1,2025-08-05\n2,2025-07-09\n",
            ok,
            "",
        ),
        case(
            "log as-of far in the future",
            Transactions,
            log(""),
            fatal,
            "far after the data",
        )
        .with_args(&["--as-of", "9999-12-31"]),
        case(
            "log as-of before the data",
            Transactions,
            log(""),
            fatal,
            "no rows on or before --as-of 1990-01-01",
        ),
        case(
            "log id column 0",
            Transactions,
            log(""),
            (2, 2),
            "column numbers start at 1",
        )
        .with_args(&["--id-col", "0"]),
        case("log count-only", Transactions, log(""), ok, "").with_args(&["--count-only"]),
        // Customers files.
        case(
            "customers escape in attribute",
            Customers,
            "customer_id,age,household_size,loyalty_member,name\n1,40,2,true,\x1b]0;owned\x07Ann\x1b[31m\n2,30,1,false,\u{202e}Bo\n",
            ok,
            "",
        ),
        case(
            "customers formula attribute",
            Customers,
            "customer_id,age,household_size,loyalty_member,name\n1,40,2,true,=1+1\n",
            ok,
            "",
        ),
        case(
            "customers duplicate header",
            Customers,
            "customer_id,age,age,household_size,loyalty_member\n1,4,5,2,true\n",
            fatal,
            "appears twice",
        ),
        case(
            "customers bad rows",
            Customers,
            "customer_id,age,household_size,loyalty_member\n1,-4,2,true\n2,1e20,1,maybe\n",
            bad_row,
            "(age)",
        ),
        case(
            "customers nul id",
            Customers,
            "customer_id,age,household_size,loyalty_member\n1\0,4,2,true\n",
            bad_row,
            "control",
        ),
        // Configuration.
        case(
            "probability 7.5",
            Config,
            config("[[churn.probability_bands]]\nmin_points = 0\nprobability = 7.5\n"),
            bad_config,
            "churn.probability_bands.probability = 7.5",
        ),
        case(
            "negative horizon",
            Config,
            config("[model]\nhorizon_weeks = -4\n"),
            bad_config,
            "model.horizon_weeks = -4",
        ),
        case(
            "interval 1.5",
            Config,
            config("[model]\ninterval = 1.5\n"),
            bad_config,
            "model.interval = 1.5",
        ),
        case(
            "positive decline",
            Config,
            config("[gaps]\ndeclining_revenue_pct = 15\n"),
            bad_config,
            "gaps.declining_revenue_pct = 15",
        ),
        case(
            "zero-week rule",
            Config,
            config("[gaps]\nzero_spend_weeks = 0\n"),
            bad_config,
            "gaps.zero_spend_weeks = 0",
        ),
        case(
            "all-zero weights",
            Config,
            config(
                "[scoring]\nrevenue_impact = 0\nchurn_risk = 0\ncustomer_value = 0\nrecovery_probability = 0\n",
            ),
            bad_config,
            "all zero",
        ),
        case(
            "nan threshold",
            Config,
            config("[gaps]\nbelow_baseline_pct = nan\n"),
            bad_config,
            "gaps.below_baseline_pct = NaN",
        ),
        case(
            "windows longer than the data",
            Config,
            config("[windows]\nbaseline_weeks = 30\nrecent_weeks = 30\n"),
            bad_config,
            "longer than the data's 10 weeks",
        ),
        case(
            "temperature 50",
            Config,
            config("[llm]\ntemperature = 50\n"),
            bad_config,
            "llm.temperature = 50",
        ),
        case(
            "negative timeout",
            Config,
            config("[llm]\ntimeout_s = -1\n"),
            bad_config,
            "llm.timeout_s = -1",
        ),
        case(
            "infinite timeout",
            Config,
            config("[llm]\nidle_timeout_s = inf\n"),
            bad_config,
            "llm.idle_timeout_s = inf",
        ),
        case(
            "four billion draws",
            Config,
            config("[model]\nbootstrap_draws = 4000000000\n"),
            bad_config,
            "model.bootstrap_draws",
        ),
        case(
            "unknown key",
            Config,
            config("[gaps]\ndeclining_threshold = -25\n"),
            bad_config,
            "declining_threshold",
        ),
        case(
            "not toml",
            Config,
            config("this is = = not toml"),
            bad_config,
            "invalid config",
        ),
        case("empty config", Config, config(""), ok, ""),
        // Flags of the model commands.
        case(
            "backtest horizon nan",
            ArgsOnly,
            "",
            (2, 2),
            "expected a number of weeks",
        )
        .with_args(&[
            "backtest",
            "--calibration-end",
            "2025-08-01",
            "--horizon-weeks",
            "nan",
        ]),
        case(
            "backtest horizon 0",
            ArgsOnly,
            "",
            (2, 2),
            "expected a number of weeks",
        )
        .with_args(&[
            "backtest",
            "--calibration-end",
            "2025-08-01",
            "--horizon-weeks",
            "0",
        ]),
        case(
            "backtest horizon inf",
            ArgsOnly,
            "",
            (2, 2),
            "expected a number of weeks",
        )
        .with_args(&[
            "backtest",
            "--calibration-end",
            "2025-08-01",
            "--horizon-weeks",
            "inf",
        ]),
        // BG/NBD cannot describe them: fit says which churn model analyze uses instead.
        case("fit on weekly shoppers", ArgsOnly, "", (0, 0), "").with_args(&[
            "fit",
            "--calibration-end",
            "2025-11-01",
        ]),
        case("no data given", ArgsOnly, "", (2, 2), "no data given").with_args(&["analyze"]),
    ];
    all.sort_by_key(|c| c.name);
    all
}

struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

/// Runs the binary in `dir` under the memory limit; kills it at the deadline.
fn run(dir: &Path, args: &[String]) -> Outcome {
    let mut script = format!("ulimit -v {MEMORY_LIMIT_KB}; exec \"$0\"");
    for index in 1..=args.len() {
        script.push_str(&format!(" \"${index}\""));
    }
    let started = Instant::now();
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(common::binary())
        .args(args)
        .current_dir(dir)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash runs");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stdout_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout_pipe.read_to_end(&mut bytes);
        bytes
    });
    let stderr_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut bytes);
        bytes
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            break child.wait().expect("wait works");
        }
        std::thread::park_timeout(Duration::from_millis(20));
    };
    Outcome {
        code: status.code(),
        stdout: stdout_reader.join().unwrap_or_default(),
        stderr: String::from_utf8_lossy(&stderr_reader.join().unwrap_or_default()).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Bytes no output of revgap may hold: C0 controls but newline and tab (CR in CSV's CRLF is
/// allowed), DEL, C1 controls, and the bidi controls.
fn unsafe_output(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .find(|c| !matches!(c, '\n' | '\t' | '\r') && revgap::text::is_unsafe_char(*c))
        .map(|c| format!("{:?}", c))
}

fn arguments(case: &Case, dir: &Path, file: &Path, strict: bool, format: &str) -> Vec<String> {
    let valid_weekly = dir.join("valid.csv");
    let mut args: Vec<String> = Vec::new();
    let data_command = !matches!(case.input, Input::ArgsOnly);
    if data_command {
        args.extend(["analyze".into(), "--format".into(), format.into()]);
    }
    let path = |p: &Path| p.display().to_string();
    match case.input {
        Input::Weekly => args.extend(["--weekly".into(), path(file)]),
        Input::Transactions => {
            args.extend(["--transactions".into(), path(file)]);
            if case.name == "log as-of before the data" {
                args.extend(["--as-of".into(), "1990-01-01".into()]);
            }
        }
        Input::Customers => args.extend([
            "--weekly".into(),
            path(&valid_weekly),
            "--customers".into(),
            path(file),
        ]),
        Input::Config => args.extend([
            "--weekly".into(),
            path(&valid_weekly),
            "--config".into(),
            path(file),
        ]),
        Input::ArgsOnly => {}
    }
    args.extend(case.args.iter().map(|a| a.to_string()));
    if case.input == Input::ArgsOnly && case.name.starts_with("fit") {
        args.extend(["--weekly".into(), path(&dir.join("sample.csv"))]);
    }
    if strict && data_command {
        args.push("--strict".into());
    }
    args
}

#[test]
fn hostile_corpus_ends_cleanly_in_both_policies() {
    let corpus = cases();
    assert!(corpus.len() >= 60, "the corpus has {} cases", corpus.len());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("valid.csv"), panel("")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/weekly_spend.csv"),
        dir.path().join("sample.csv"),
    )
    .unwrap();
    let mut failures = Vec::new();
    for (index, case) in corpus.iter().enumerate() {
        let file: PathBuf = dir.path().join(format!("case-{index}.csv"));
        std::fs::write(&file, &case.content).unwrap();
        for (strict, format) in [(false, "markdown"), (true, "csv"), (false, "json")] {
            let args = arguments(case, dir.path(), &file, strict, format);
            let outcome = run(dir.path(), &args);
            let expected = if strict { case.codes.1 } else { case.codes.0 };
            let label = format!(
                "{} ({}, {format})",
                case.name,
                if strict { "strict" } else { "lenient" }
            );
            let mut problems = Vec::new();
            match outcome.code {
                None => problems.push(format!(
                    "ended by a signal or killed after {:?}",
                    outcome.elapsed
                )),
                Some(code) if !DOCUMENTED.contains(&code) => {
                    problems.push(format!("undocumented exit {code}"))
                }
                Some(code) if code != expected => {
                    problems.push(format!("exit {code}, expected {expected}"))
                }
                Some(_) => {}
            }
            if outcome.stderr.contains("panicked") {
                problems.push("panicked".into());
            }
            if let Some(c) = unsafe_output(&outcome.stdout) {
                problems.push(format!("stdout holds {c}"));
            }
            if let Some(c) = unsafe_output(outcome.stderr.as_bytes()) {
                problems.push(format!("stderr holds {c}"));
            }
            if outcome.stderr.len() > 4096 {
                problems.push(format!("stderr is {} bytes long", outcome.stderr.len()));
            }
            let failed = outcome.code.is_some_and(|c| c != 0);
            if failed {
                if outcome.stderr.lines().count() != 1 {
                    problems.push(format!("{} stderr lines", outcome.stderr.lines().count()));
                }
                if !outcome.stdout.is_empty() {
                    problems.push("a failed run printed to stdout".into());
                }
            }
            let message_due = failed || (case.codes.0 == 0 && case.codes.1 != 0 && !strict);
            if message_due && !case.says.is_empty() && !outcome.stderr.contains(case.says) {
                problems.push(format!("stderr does not say '{}'", case.says));
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{label}: {}\n    stderr: {}",
                    problems.join("; "),
                    outcome.stderr.trim_end()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
