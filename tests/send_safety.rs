//! Sending once, across processes, to the endpoint the analyst named (issue 26, items 6–8 and
//! 10): two real `campaign send` processes at once against a loopback webhook receiver and a
//! real SMTP relay deliver each treated member once; a redirect is never followed; a send keeps
//! its deadline and reports progress; bad URLs and secrets fail before anything is sent; SMTP
//! credentials travel only over TLS and never show, even when a hostile relay echoes them.

mod common;

use common::isolated;
use common::receiver::{Answer, Receiver};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

const SECRET: &str = "whsec_c2VjcmV0LWZvci10ZXN0cy0xMjM0NTY3ODk=";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A campaign on the bundled sample in a ledger under `home`: (ledger, id, treated ids).
fn campaign(home: &Path, extra: &[&str]) -> (PathBuf, String, Vec<String>) {
    let db = home.join("ledger.sqlite");
    let db_text = db.to_str().unwrap();
    let mut args = vec![
        "campaign",
        "create",
        "--name",
        "Sending",
        "--top",
        "150",
        "--control",
        "0.3",
        "--format",
        "json",
        "--db",
        db_text,
    ];
    args.extend(extra);
    let created = isolated(home).args(&args).output().unwrap();
    assert!(created.status.success(), "{}", stderr(&created));
    let document: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let id = document["campaign_id"].to_string();
    let shown = isolated(home)
        .args(["campaign", "show", &id, "--format", "json", "--db", db_text])
        .output()
        .unwrap();
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let treated = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["arm"] == "treated" && m["drafts"].as_array().is_some_and(|d| !d.is_empty()))
        .map(|m| m["customer_id"].as_str().unwrap().to_string())
        .collect();
    (db, id, treated)
}

fn send(home: &Path, db: &Path, id: &str, route: &[&str]) -> std::process::Command {
    let mut command = isolated(home);
    command
        .args(["campaign", "send", id, "--db", db.to_str().unwrap()])
        .args(route)
        .env("REVGAP_WEBHOOK_SECRET", SECRET)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

/// Every attempt's recorded error, from the ledger itself.
fn recorded_errors(db: &Path) -> Vec<String> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let mut statement = connection
        .prepare("SELECT COALESCE(error, '') FROM delivery_attempts")
        .unwrap();
    statement
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn item_06_two_webhook_senders_at_once_deliver_each_member_once() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, treated) = campaign(home.path(), &[]);
    assert!(treated.len() > 60, "{}", treated.len());
    // A little slow, so the two senders overlap for the whole send.
    let receiver = Receiver::start(|_| Answer::status("200 OK").hold(Duration::from_millis(15)));
    let route = ["--webhook", receiver.url.as_str()];
    let first = send(home.path(), &db, &id, &route).spawn().unwrap();
    let second = send(home.path(), &db, &id, &route).spawn().unwrap();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    let mut accepted: HashMap<String, usize> = HashMap::new();
    for request in receiver.requests() {
        *accepted.entry(request.customer().unwrap()).or_default() += 1;
    }
    let twice: Vec<_> = accepted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let mut expected = treated.clone();
    expected.sort();
    let mut got: Vec<String> = accepted.into_keys().collect();
    got.sort();
    assert_eq!(got, expected, "every treated member once");
    // Each says what the other did.
    let both = stderr(&first) + &stderr(&second);
    assert!(
        both.contains("delivered by another sender running at the same time"),
        "{both}"
    );
    // A third run finds everything delivered and sends nothing.
    let third = send(home.path(), &db, &id, &route).output().unwrap();
    assert!(third.status.success(), "{}", stderr(&third));
    assert!(
        stderr(&third).contains(&format!("0 delivered now, {} before", treated.len())),
        "{}",
        stderr(&third)
    );
    assert_eq!(receiver.requests().len(), treated.len());
}

#[test]
#[cfg_attr(
    not(has_smtp_server),
    ignore = "needs a Python with aiosmtpd: run scripts/smtp-venv.sh (or set REVGAP_SMTP_PYTHON)"
)]
fn item_06_two_smtp_senders_at_once_mail_each_member_once() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, treated) = campaign(home.path(), &["--channels", "email", "--phone-share", "0"]);
    let out = tempfile::tempdir().unwrap();
    std::fs::write(out.path().join("delay_ms"), "10").unwrap();
    let relay = common::relay::Relay::start(out.path());
    let url = format!("smtp://127.0.0.1:{}", relay.port);
    let route = ["--smtp", url.as_str()];
    let first = send(home.path(), &db, &id, &route).spawn().unwrap();
    let second = send(home.path(), &db, &id, &route).spawn().unwrap();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    let mail = common::relay::messages(out.path());
    let mut recipients: Vec<&str> = mail
        .iter()
        .map(|m| common::relay::header(m, "X-Envelope-To").unwrap())
        .collect();
    let before = recipients.len();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), before, "nobody mailed twice");
    assert_eq!(before, treated.len(), "every treated email member mailed");
}

#[test]
fn item_07_a_redirect_is_a_failed_attempt_never_followed() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, treated) = campaign(home.path(), &[]);
    let elsewhere = Receiver::start(|_| Answer::status("200 OK"));
    for status in [
        "301 Moved Permanently",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let target = format!("{}?from={}", elsewhere.url, &status[..3]);
        let redirecting =
            Receiver::start(move |_| Answer::status(status).header("Location", target.clone()));
        let output = send(
            home.path(),
            &db,
            &id,
            &["--webhook", redirecting.url.as_str(), "--attempts", "2"],
        )
        .output()
        .unwrap();
        assert_eq!(output.status.code(), Some(75), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains(&format!(
                "{} member(s) not delivered after 2 attempt(s) each: redirected ({}) to {}",
                treated.len(),
                &status[..3],
                elsewhere.url
            )),
            "{message}"
        );
        // Not retried: one request a member, and nothing reached the redirect's target.
        assert_eq!(redirecting.requests().len(), treated.len());
        assert!(elsewhere.requests().is_empty(), "a redirect was followed");
    }
    assert!(
        recorded_errors(&db)
            .iter()
            .all(|e| e.starts_with("redirected (30") && e.contains("?from=")),
        "every attempt names its Location"
    );
}

#[test]
fn item_08_a_send_keeps_its_deadline_and_tells_how_it_goes() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, treated) = campaign(home.path(), &[]);
    // An endpoint that holds every request longer than the whole send may take.
    let stalled = Receiver::start(|_| Answer::status("200 OK").hold(Duration::from_secs(30)));
    let started = std::time::Instant::now();
    let output = send(
        home.path(),
        &db,
        &id,
        &["--webhook", stalled.url.as_str(), "--deadline", "3s"],
    )
    .output()
    .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(75), "{message}");
    assert!(
        message.contains("sending stopped: the deadline of 3 s was reached"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "revgap: campaign {id}: 0 of {} done",
            treated.len()
        )),
        "a progress line after two seconds: {message}"
    );
    assert!(
        message.contains(&format!("{} pending", treated.len())),
        "{message}"
    );
    // Well before the 30 s the endpoint holds a request.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        stalled.requests().len(),
        1,
        "one request, cut at the deadline"
    );
}

#[test]
fn item_08_a_retry_after_longer_than_a_send_waits_stops_it() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, _) = campaign(home.path(), &[]);
    let throttled =
        Receiver::start(|_| Answer::status("429 Too Many Requests").header("Retry-After", "3600"));
    let output = send(
        home.path(),
        &db,
        &id,
        &["--webhook", throttled.url.as_str()],
    )
    .output()
    .unwrap();
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(75), "{message}");
    assert!(
        message.contains("the endpoint asked to wait 3600 s (Retry-After)"),
        "{message}"
    );
    assert_eq!(throttled.requests().len(), 1, "no member after the first");
}

#[test]
fn item_08_bad_urls_and_secrets_fail_before_anything_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, _) = campaign(home.path(), &[]);
    let receiver = Receiver::start(|_| Answer::status("200 OK"));
    let cases: [(&[&str], Option<&str>, &str); 4] = [
        (
            &["--webhook", "http://[::1"],
            None,
            "--webhook http://[::1: invalid IPv6 address",
        ),
        (
            &["--webhook", "ftp://example.com/x"],
            None,
            "expected an http:// or https:// URL",
        ),
        (
            &["--webhook", receiver.url.as_str()],
            Some("whsec_not*base64!"),
            "starts with whsec_ but the rest is not valid base64",
        ),
        (
            &["--deadline", "0s", "--webhook", receiver.url.as_str()],
            None,
            "expected a duration",
        ),
    ];
    for (route, secret, expected) in cases {
        let mut command = send(home.path(), &db, &id, route);
        if let Some(secret) = secret {
            command.env("REVGAP_WEBHOOK_SECRET", secret);
        }
        let output = command.output().unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{route:?}: {message}");
        assert!(message.contains(expected), "{route:?}: {message}");
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
    }
    assert!(receiver.requests().is_empty());
    assert!(recorded_errors(&db).is_empty(), "no attempt was made");
}

#[test]
#[cfg_attr(
    not(has_smtp_server),
    ignore = "needs a Python with aiosmtpd: run scripts/smtp-venv.sh (or set REVGAP_SMTP_PYTHON)"
)]
fn item_10_smtp_credentials_go_only_over_tls_and_never_show() {
    let home = tempfile::tempdir().unwrap();
    let (db, id, _) = campaign(home.path(), &["--channels", "email", "--phone-share", "0"]);
    let out = tempfile::tempdir().unwrap();
    // A hostile relay: AUTH without TLS, and every refusal echoes the login and password.
    std::fs::write(out.path().join("echo_auth"), "").unwrap();
    let relay = common::relay::Relay::start(out.path());
    let url = format!("smtp://mailer:hunter2%21@127.0.0.1:{}", relay.port);
    // Plain-text AUTH is refused before a connection is made.
    let refused = send(home.path(), &db, &id, &["--smtp", url.as_str()])
        .output()
        .unwrap();
    let message = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{message}");
    assert!(message.contains("not encrypted"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(
        !out.path().join("sessions.log").exists(),
        "no session was opened"
    );
    // Asked for on purpose: the relay's echo is redacted everywhere it could show.
    let sent = send(
        home.path(),
        &db,
        &id,
        &[
            "--smtp",
            url.as_str(),
            "--smtp-insecure-auth",
            "--attempts",
            "1",
        ],
    )
    .output()
    .unwrap();
    let message = stderr(&sent);
    assert_ne!(sent.status.code(), Some(0), "{message}");
    assert!(
        message.contains("is not a valid login"),
        "the relay's reply: {message}"
    );
    let shown = isolated(home.path())
        .args([
            "campaign",
            "show",
            &id,
            "--format",
            "json",
            "--db",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let errors = recorded_errors(&db);
    assert!(!errors.is_empty());
    for text in [
        message,
        String::from_utf8_lossy(&shown.stdout).into_owned(),
        errors.join("\n"),
    ] {
        assert!(
            !text.contains("hunter2") && !text.contains("mailer:"),
            "a credential leaked: {text}"
        );
    }
    assert!(std::fs::read_to_string(out.path().join("sessions.log")).is_ok());
}
