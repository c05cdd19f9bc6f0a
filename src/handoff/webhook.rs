//! `campaign send --webhook URL`: one POST per treated member with a passing draft, signed
//! per Standard Webhooks (`webhook-id` = the action's idempotency key, the same on every
//! retry and re-run; `webhook-timestamp`; `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "id.timestamp.body">` with the secret from `REVGAP_WEBHOOK_SECRET`, never stored, logged or
//! shown). Every attempt is recorded in the ledger before the next; a delivered action is
//! never sent again, so a sender killed at any moment and re-run sends each remaining member
//! once (the one in flight at the kill again, under the same id, which receivers deduplicate).
//! Timeouts, exponential backoff with jitter, `Retry-After` honoured; 410 Gone stops.

use super::{Outcome, Retry};
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
    #[error("--webhook {0}: expected an http:// or https:// URL")]
    BadUrl(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(
        "the endpoint answered 410 Gone: sending stopped ({delivered} delivered, re-run after fixing the endpoint)"
    )]
    Gone { delivered: usize },
}

/// The signing key from the secret text: the bytes after `whsec_` base64-decoded, else the
/// text's own bytes.
pub fn signing_key(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
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

/// Sends campaign `campaign_id`'s treated members to `url`.
pub fn send(
    ledger: &mut Ledger,
    campaign_id: i64,
    url: &str,
    retry: Retry,
) -> Result<Outcome, SendError> {
    let secret = std::env::var(SECRET_ENV).map_err(|_| SendError::NoSecret)?;
    if secret.trim().is_empty() {
        return Err(SendError::NoSecret);
    }
    let key = signing_key(&secret);
    drop(secret);
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(SendError::BadUrl(crate::text::one_line(url).into_owned()));
    }
    let campaign = ledger.campaign(campaign_id)?;
    let members = ledger.members(campaign_id)?;
    let drafts = ledger.drafts(campaign_id)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SendError::BadUrl(format!("{url}: {e}")))?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .timeout(retry.timeout)
        .connect_timeout(retry.timeout)
        .build()
        .map_err(|e| SendError::BadUrl(format!("{}: {e}", crate::text::one_line(url))))?;
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
    for super::Due {
        member,
        draft,
        action,
        key: key_text,
    } in due
    {
        let channel = member.channel.as_deref().unwrap_or("");
        let body = serde_json::json!({
            "type": "revgap.campaign.member",
            "campaign_id": campaign.campaign_id,
            "campaign": campaign.name,
            "customer_id": member.customer_id,
            "channel": channel,
            "address": member.address,
            "offer_id": member.offer,
            "subject": draft.subject,
            "text": draft.text,
        })
        .to_string();
        let mut delivered = false;
        for attempt in 0..retry.attempts {
            let timestamp = chrono::Utc::now().timestamp();
            let request = http
                .post(url)
                .header("content-type", "application/json")
                .header("webhook-id", &key_text)
                .header("webhook-timestamp", timestamp.to_string())
                .header(
                    "webhook-signature",
                    signature(&key, &key_text, timestamp, &body),
                )
                .body(body.clone());
            let result = runtime.block_on(async { request.send().await });
            let (status, error, wait) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    (Some(status), None, retry_after)
                }
                // The error text names the URL, never a header: no secret can be in it.
                Err(error) => (
                    None,
                    Some(crate::text::one_line(&error.to_string()).into_owned()),
                    None,
                ),
            };
            let ok = status.is_some_and(|s| (200..300).contains(&s));
            ledger.record_attempt(action.id, status, error.as_deref(), ok)?;
            if ok {
                delivered = true;
                break;
            }
            if status == Some(410) {
                return Err(SendError::Gone {
                    delivered: outcome.delivered_now + outcome.delivered_before,
                });
            }
            let retryable = status.is_none_or(|s| s == 429 || s >= 500 || s == 408);
            if !retryable || attempt + 1 == retry.attempts {
                break;
            }
            std::thread::sleep(retry.wait(attempt, wait));
        }
        if delivered {
            outcome.delivered_now += 1;
        } else {
            outcome.pending += 1;
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The Standard Webhooks specification's example: secret, id, timestamp, payload and
        // the signature it gives.
        let key = signing_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let signed = signature(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signed, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
