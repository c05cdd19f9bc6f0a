//! `campaign send --smtp` against a real SMTP server (aiosmtpd, started by the test on
//! loopback; `scripts/smtp-venv.sh` installs it, `.ci/run` runs that). The relay refuses some
//! recipients once with a transient 451: the first run leaves them pending (exit 75), the
//! re-run delivers them, and every treated email member ends up with exactly one message
//! carrying one-click unsubscribe headers and their own link; no control member is mailed.

mod common;

use common::relay::{Relay, header, messages};
use common::{json, revgap};
use std::path::Path;

/// The body after the blank line, quoted-printable decoded (soft breaks and `=XX` escapes).
fn quoted_printable_body(message: &str) -> String {
    let body = message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .map_or("", |(_, body)| body)
        .replace("=\r\n", "")
        .replace("=\n", "");
    let mut decoded = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| u8::from_str_radix(&body[i + 1..i + 3], 16).ok())
            .flatten();
        match escape {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[test]
#[cfg_attr(
    not(has_smtp_server),
    ignore = "needs a Python with aiosmtpd: run scripts/smtp-venv.sh (or set REVGAP_SMTP_PYTHON)"
)]
fn email_goes_through_a_real_relay_once_per_treated_member_with_unsubscribe_headers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap();
    let created = json(&[
        "campaign",
        "create",
        "--name",
        "Email win-back",
        "--top",
        "150",
        "--control",
        "0.3",
        "--channels",
        "email",
        "--phone-share",
        "0",
        "--db",
        db,
        "--format",
        "json",
    ]);
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let shown = json(&["campaign", "show", &id, "--db", db, "--format", "json"]);
    let members = shown["members"].as_array().unwrap();
    let contacts = revgap::campaign::contacts::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/contacts.csv"
    )))
    .unwrap()
    .by_id;
    let address_of =
        |m: &serde_json::Value| contacts[m["customer_id"].as_str().unwrap()].email.clone();
    let treated: Vec<(String, String)> = members
        .iter()
        .filter(|m| m["arm"] == "treated")
        .map(|m| {
            (
                m["customer_id"].as_str().unwrap().to_string(),
                address_of(m),
            )
        })
        .collect();
    let control: Vec<String> = members
        .iter()
        .filter(|m| m["arm"] == "control")
        .map(address_of)
        .collect();
    assert!(treated.len() > 20 && !control.is_empty());

    let out = tempfile::tempdir().unwrap();
    let busy: Vec<&str> = treated.iter().take(2).map(|(_, a)| a.as_str()).collect();
    std::fs::write(out.path().join("fail_once"), busy.join("\n")).unwrap();
    let relay = Relay::start(out.path());
    let url = format!("smtp://127.0.0.1:{}", relay.port);
    let send = |attempts: &str| {
        revgap(&[
            "campaign",
            "send",
            &id,
            "--smtp",
            &url,
            "--attempts",
            attempts,
            "--db",
            db,
        ])
    };
    let first = send("1");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(75), "{stderr}");
    assert!(stderr.contains("2 pending"), "{stderr}");
    assert_eq!(messages(out.path()).len(), treated.len() - 2);
    let second = send("3");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("2 delivered now, {} before", treated.len() - 2)),
        "{stderr}"
    );
    let third = send("3");
    assert!(third.status.success());

    let mail = messages(out.path());
    assert_eq!(mail.len(), treated.len(), "each treated member mailed once");
    let mut seen = std::collections::HashSet::new();
    for message in &mail {
        let to = header(message, "X-Envelope-To").unwrap();
        assert!(seen.insert(to.to_string()), "{to} mailed twice");
        assert!(
            !control.iter().any(|c| c == to),
            "control member {to} mailed"
        );
        let (customer, _) = treated
            .iter()
            .find(|(_, address)| address == to)
            .unwrap_or_else(|| panic!("{to} is not a treated member"));
        let link =
            format!("https://shop.example.com/unsubscribe?campaign={id}&customer={customer}");
        assert_eq!(
            header(message, "List-Unsubscribe"),
            Some(&*format!("<{link}>"))
        );
        assert_eq!(
            header(message, "List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(
            header(message, "From"),
            Some("\"Northwind Market\" <news@example.com>")
        );
        assert!(
            header(message, "Message-ID")
                .is_some_and(|m| m.contains(&format!("revgap-c{id}-{customer}-email"))),
            "{message}"
        );
        let body = quoted_printable_body(message);
        assert!(
            body.contains(&format!("Unsubscribe: {link}")) && !body.contains("{{unsubscribe_url}}"),
            "{body}"
        );
        assert!(
            body.contains("Northwind Market, 100 Example Street"),
            "{body}"
        );
    }
}

#[test]
fn smtp_credentials_never_show_and_a_dead_relay_leaves_members_pending() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap();
    let created = json(&[
        "campaign",
        "create",
        "--name",
        "x",
        "--top",
        "20",
        "--db",
        db,
        "--format",
        "json",
        common::SMALL_CAMPAIGNS[0],
        common::SMALL_CAMPAIGNS[1],
    ]);
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let output = revgap(&[
        "campaign",
        "send",
        &id,
        "--smtp",
        "smtp://mailer:hunter2@127.0.0.1:9",
        "--smtp-insecure-auth",
        "--attempts",
        "1",
        "--db",
        db,
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(75), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let bad = revgap(&["campaign", "send", &id, "--smtp", "ftp://x", "--db", db]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("expected smtp://host:port"), "{stderr}");
}
