//! `revgap campaign send --webhook`: a receiver on loopback checks every Standard Webhooks
//! signature, fails some requests, and holds one request open while the test kills the
//! sender (SIGKILL); the re-run delivers each remaining treated member, so every treated
//! member is accepted exactly once and no control member is ever sent.

mod common;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, mpsc};

const SECRET: &str = "whsec_c2VjcmV0LWZvci10ZXN0cy0xMjM0NTY3ODk=";

#[derive(Default)]
struct Seen {
    /// webhook-id → customer_id of each accepted (2xx) delivery, in order.
    accepted: Vec<(String, String)>,
    requests: usize,
    bad_signatures: usize,
    bodies: Vec<String>,
}

fn verify(headers: &HashMap<String, String>, body: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let (Some(id), Some(timestamp), Some(signature)) = (
        headers.get("webhook-id"),
        headers.get("webhook-timestamp"),
        headers.get("webhook-signature"),
    ) else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    signature.split(' ').any(|s| s == format!("v1,{expected}"))
}

/// Serves until the process ends. Request number `hold_at` (1-based) gets no answer until
/// `release` fires; every 7th request is answered 500 (the sender retries).
fn receiver(
    seen: Arc<Mutex<Seen>>,
    hold_at: usize,
    holding: mpsc::Sender<()>,
    release: Arc<Mutex<mpsc::Receiver<()>>>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/hook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = HashMap::new();
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.trim_end().split_once(':') {
                    headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
                }
            }
            let length: usize = headers
                .get("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let body = String::from_utf8(body).unwrap();
            let number = {
                let mut seen = seen.lock().unwrap();
                seen.requests += 1;
                seen.bodies.push(body.clone());
                seen.requests
            };
            if number == hold_at {
                holding.send(()).unwrap();
                let _ = release.lock().unwrap().recv();
                continue; // the connection closes unanswered
            }
            let status = if !verify(&headers, &body) {
                seen.lock().unwrap().bad_signatures += 1;
                "401 Unauthorized"
            } else if number % 7 == 0 {
                "500 Internal Server Error"
            } else {
                let id = headers["webhook-id"].clone();
                let customer =
                    serde_json::from_str::<serde_json::Value>(&body).unwrap()["customer_id"]
                        .as_str()
                        .unwrap()
                        .to_string();
                seen.lock().unwrap().accepted.push((id, customer));
                "200 OK"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    address
}

#[test]
fn a_killed_sender_re_run_delivers_every_treated_member_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap();
    // Fresh generated data (spend, customers and contacts), not the bundled sample.
    let data = dir.path().join("generated");
    let generated = common::revgap(&[
        "generate",
        "--shape",
        "original",
        "--customers",
        "400",
        "--weeks",
        "16",
        "--seed",
        "11",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(generated.status.success());
    let file = |name: &str| data.join(name).to_str().unwrap().to_string();
    let created = common::json(&[
        "campaign",
        "create",
        "--name",
        "Webhook",
        "--weekly",
        &file("weekly_spend.csv"),
        "--customers",
        &file("customers.csv"),
        "--contacts",
        &file("contacts.csv"),
        "--top",
        "160",
        "--control",
        "0.25",
        "--db",
        db,
        "--format",
        "json",
    ]);
    let id = created["campaign_id"].as_i64().unwrap().to_string();
    let control_of = |id: &str| -> Vec<String> {
        common::json(&["campaign", "show", id, "--db", db, "--format", "json"])["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["arm"] == "control")
            .map(|m| m["customer_id"].as_str().unwrap().to_string())
            .collect()
    };
    // Every preset exports, and no control member reaches any file.
    for preset in [
        "generic",
        "mailchimp",
        "klaviyo",
        "hubspot",
        "braze",
        "call-list",
    ] {
        let out = dir.path().join(format!("{preset}.csv"));
        let exported = common::revgap(&[
            "campaign",
            "export",
            &id,
            "--preset",
            preset,
            "--out",
            out.to_str().unwrap(),
            "--db",
            db,
        ]);
        assert!(exported.status.success(), "{preset}");
        let mut reader = csv::Reader::from_path(&out).unwrap();
        let headers = reader.headers().unwrap().clone();
        let id_column = headers
            .iter()
            .position(|h| h == "customer_id" || h == "revgap_customer_id")
            .unwrap();
        let control = control_of(&id);
        assert!(!control.is_empty());
        for row in reader.records() {
            let row = row.unwrap();
            assert!(
                !control.contains(&row[id_column].to_string()),
                "{preset}: control member {} exported",
                &row[id_column]
            );
        }
    }
    let treated = created["treated"].as_u64().unwrap() as usize;
    let shown = common::json(&["campaign", "show", &id, "--db", db, "--format", "json"]);
    let control: Vec<String> = shown["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["arm"] == "control")
        .map(|m| m["customer_id"].as_str().unwrap().to_string())
        .collect();
    assert!(!control.is_empty() && treated > 20);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let (holding_tx, holding_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel();
    let url = receiver(
        seen.clone(),
        12,
        holding_tx,
        Arc::new(Mutex::new(release_rx)),
    );

    let sender = || {
        let mut command = common::command();
        command
            .args(["campaign", "send", &id, "--webhook", &url, "--db", db])
            .env("REVGAP_WEBHOOK_SECRET", SECRET)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let mut first = sender().spawn().unwrap();
    // The receiver holds request 12 open: the sender is mid-way. Kill it there.
    // A guard against a sender that never gets there, not a synchronisation.
    holding_rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the sender reached request 12");
    first.kill().unwrap();
    first.wait().unwrap();
    release_tx.send(()).unwrap();
    let accepted_before = seen.lock().unwrap().accepted.len();
    assert!(
        accepted_before > 0 && accepted_before < treated,
        "{accepted_before} of {treated}"
    );

    let second = sender().output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(!stderr.contains(SECRET) && !String::from_utf8_lossy(&second.stdout).contains(SECRET));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.bad_signatures, 0);
    let mut ids: Vec<&String> = seen.accepted.iter().map(|(id, _)| id).collect();
    ids.sort();
    let total = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), total, "no member was accepted twice");
    assert_eq!(total, treated, "every treated member was delivered");
    for body in &seen.bodies {
        let customer = serde_json::from_str::<serde_json::Value>(body).unwrap()["customer_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            !control.contains(&customer),
            "control member {customer} was sent"
        );
    }
    // Failed requests were retried under the same id; the ledger says the same.
    let ledger = revgap::ledger::Ledger::open(std::path::Path::new(db)).unwrap();
    let deliveries = ledger.deliveries(id.parse().unwrap()).unwrap();
    assert_eq!(deliveries.len(), treated);
    assert!(deliveries.values().all(|(delivered, _)| *delivered == 1));
    assert!(
        deliveries.values().any(|(_, attempts)| *attempts >= 2),
        "a 500 was retried"
    );
    let bytes = std::fs::read(db).unwrap();
    assert!(
        !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the secret is never stored"
    );
    // Everything delivered: a third run sends nothing.
    drop(seen);
    let third = sender().output().unwrap();
    assert!(third.status.success());
    assert!(
        String::from_utf8_lossy(&third.stderr)
            .contains(&format!("0 delivered now, {treated} before"))
    );
}

#[test]
fn sending_without_a_secret_is_one_line_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let db = db.to_str().unwrap();
    common::json(&[
        "campaign",
        "create",
        "--name",
        "N",
        "--top",
        "20",
        "--db",
        db,
        "--format",
        "json",
        common::SMALL_CAMPAIGNS[0],
        common::SMALL_CAMPAIGNS[1],
    ]);
    let output = common::command()
        .args([
            "campaign",
            "send",
            "1",
            "--webhook",
            "http://127.0.0.1:9/x",
            "--db",
            db,
        ])
        .env_remove("REVGAP_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("REVGAP_WEBHOOK_SECRET is not set"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1);
}
