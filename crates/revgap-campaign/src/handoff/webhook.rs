//! `campaign send --webhook URL`: one POST per treated member with a passing draft, signed
//! per Standard Webhooks (`webhook-id` = the action's idempotency key, the same on every
//! retry and re-run; `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">` with the secret from `REVGAP_WEBHOOK_SECRET`, never stored, logged or
//! shown). Every attempt is recorded in the ledger before the next; a delivered action is
//! never sent again, so a sender killed at any moment and re-run sends each remaining member
//! once (the one in flight at the kill again, under the same id, which receivers deduplicate).
//! Timeouts, exponential backoff with jitter, `Retry-After` honoured (a wait longer than a send
//! waits stops the send); 410 Gone stops; a redirect is a failed attempt that names its
//! `Location` (never followed). The URL and the secret are checked before anything is sent.

use super::{Attempt, Outcome, SendPolicy};
use crate::ledger::{Ledger, LedgerError};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use std::time::Duration;

/// The environment variable that holds the signing secret (`whsec_` + base64, or raw text).
pub const SECRET_ENV: &str = "REVGAP_WEBHOOK_SECRET";

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{SECRET_ENV} is not set; expected the endpoint's signing secret (whsec_…)")]
    NoSecret,
    #[error(
        "{SECRET_ENV} starts with whsec_ but the rest is not valid base64; expected whsec_ and the base64 key the endpoint gave"
    )]
    BadSecret,
    #[error("--webhook {0}")]
    BadUrl(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The signing key from the secret text: the bytes after `whsec_` base64-decoded, else the
/// text's own bytes. A `whsec_` secret whose rest is not base64 is refused: signing with the
/// text itself would fail every verification at the receiver.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, SendError> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| SendError::BadSecret),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let tag = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag)
    )
}

/// The endpoint, checked before anything is sent: an absolute http(s) URL with a host.
pub fn endpoint(url: &str) -> Result<reqwest::Url, SendError> {
    let shown = || {
        revgap_core::text::redact_url_credentials(&revgap_core::text::one_line(url)).into_owned()
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        SendError::BadUrl(format!(
            "{}: {e}; expected http://host/path or https://host/path",
            shown()
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(SendError::BadUrl(format!(
            "{}: expected an http:// or https:// URL with a host",
            shown()
        )));
    }
    Ok(parsed)
}

/// Sends campaign `campaign_id`'s treated members to `url`.
pub fn send(
    ledger: &mut Ledger,
    campaign_id: i64,
    url: &str,
    policy: &SendPolicy,
) -> Result<Outcome, SendError> {
    let secret = std::env::var(SECRET_ENV).map_err(|_| SendError::NoSecret)?;
    if secret.trim().is_empty() {
        return Err(SendError::NoSecret);
    }
    let key = signing_key(&secret)?;
    // What the endpoint may echo back in an error: never recorded or shown.
    let secrets = [secret];
    let url = endpoint(url)?;
    let campaign = ledger.campaign(campaign_id)?;
    let members = ledger.members(campaign_id)?;
    let drafts = ledger.drafts(campaign_id)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SendError::BadUrl(format!("cannot start the runtime: {e}")))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .connect_timeout(policy.retry.timeout)
        // A redirect is a failed attempt that names where it pointed: following one would
        // resend the signed body somewhere nobody configured (or drop it as a GET).
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SendError::BadUrl(format!("cannot start the client: {e}")))?;
    let mut outcome = Outcome::default();
    // Every channel goes to the webhook: the receiving system routes it.
    let due = super::due(
        ledger,
        campaign_id,
        &members,
        &drafts,
        "webhook",
        |_| true,
        &mut outcome,
    )?;
    let clean = |text: &str| {
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        revgap_core::text::redact(&revgap_core::text::one_line(text), &secrets).into_owned()
    };
    super::deliver(
        ledger,
        campaign_id,
        due,
        policy,
        &mut outcome,
        |due, timeout| {
            let member = due.member;
            let body = serde_json::json!({
                "type": "revgap.campaign.member",
                "campaign_id": campaign.campaign_id,
                "campaign": campaign.name,
                "customer_id": member.customer_id,
                "channel": member.channel.as_deref().unwrap_or(""),
                "address": member.address,
                "offer_id": member.offer,
                "subject": due.draft.subject,
                "text": due.draft.text,
            })
            .to_string();
            let timestamp = chrono::Utc::now().timestamp();
            let request = http
                .post(url.clone())
                .timeout(timeout)
                .header("content-type", "application/json")
                .header("webhook-id", &due.key)
                .header("idempotency-key", &due.key)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    signature(&key, &due.key, timestamp, &body),
                )
                .body(body);
            match runtime.block_on(async { request.send().await }) {
                Ok(response) => judge(&response, &clean),
                // The error text names the URL, never a header; redacted all the same.
                Err(error) => Attempt::Transient {
                    status: None,
                    error: clean(&error_chain(&error)),
                    wait: None,
                },
            }
        },
    )?;
    Ok(outcome)
}

/// The error and its causes, one line ("error sending request: … connection refused").
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// What a response means for the member.
fn judge(response: &reqwest::Response, clean: &impl Fn(&str) -> String) -> Attempt {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(clean)
    };
    match status {
        200..=299 => Attempt::Delivered {
            status: Some(status),
        },
        300..=399 => Attempt::Failed {
            status: Some(status),
            error: format!(
                "redirected ({status}) to {}; revgap does not follow redirects: give --webhook the final URL",
                header("location").unwrap_or_else(|| "no Location".into())
            ),
        },
        410 => Attempt::Gone {
            status: Some(status),
        },
        408 | 429 | 500..=599 => Attempt::Transient {
            status: Some(status),
            error: format!("the endpoint answered {status}"),
            wait: header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs),
        },
        _ => Attempt::Failed {
            status: Some(status),
            error: format!("the endpoint answered {status}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The Standard Webhooks specification's example: secret, id, timestamp, payload and
        // the signature it gives.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signed = signature(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
