//! On-disk response cache: one JSON file per answer, named by the SHA-256 of the model, the
//! messages, the sampling parameters and the prompt version. Only complete answers
//! (`finish_reason` "stop") are stored. The API key is not part of any key or file.

use revgap_core::narrative::prompt::{Message, PROMPT_VERSION};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedAnswer {
    pub text: String,
    pub finish_reason: String,
    pub model: String,
}

#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

#[derive(Serialize)]
struct KeyMaterial<'a> {
    model: &'a str,
    messages: &'a [Message],
    temperature: f64,
    max_output_tokens: u32,
    prompt_version: u32,
}

impl Cache {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// `~/.cache/revgap/llm` on Linux.
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "revgap").map(|d| d.cache_dir().join("llm"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache key of a request.
    pub fn key(
        model: &str,
        messages: &[Message],
        temperature: f64,
        max_output_tokens: u32,
    ) -> String {
        let material = KeyMaterial {
            model,
            messages,
            temperature,
            max_output_tokens,
            prompt_version: PROMPT_VERSION,
        };
        let canonical = serde_json::to_vec(&material).unwrap_or_default();
        Sha256::digest(&canonical)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    pub fn get(&self, key: &str) -> Option<CachedAnswer> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores a complete answer; failures only cost a future cache miss.
    /// Never stores a text that holds anything secret-shaped. Files are owner-only (0600)
    /// in an owner-only directory (0700), written atomically.
    pub fn put(&self, key: &str, answer: &CachedAnswer) {
        if answer.finish_reason != "stop" || revgap_core::text::contains_secret(&answer.text, &[]) {
            return;
        }
        let Ok(json) = serde_json::to_string(answer) else {
            return;
        };
        if revgap_core::atomic::private_dir(&self.dir).is_err() {
            return;
        }
        let _ = revgap_core::atomic::write(
            &self.path(key),
            revgap_core::atomic::Access::Private,
            json.as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<Message> {
        vec![Message {
            role: "user",
            content: text.into(),
        }]
    }

    #[cfg(unix)]
    #[test]
    fn entries_are_owner_only_and_secrets_are_never_stored() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("llm"));
        let answer = |text: &str| CachedAnswer {
            text: text.into(),
            finish_reason: "stop".into(),
            model: "m".into(),
        };
        let key = Cache::key("m", &messages("a"), 0.3, 100);
        cache.put(&key, &answer("Spend fell by half."));
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("llm")), 0o700);
        assert_eq!(mode(&cache.path(&key)), 0o600);
        let other = Cache::key("m", &messages("b"), 0.3, 100);
        cache.put(
            &other,
            &answer("Use Bearer sk-abcdefghijklmnopqrstuvwxyz0123 to log in."),
        );
        assert!(
            cache.get(&other).is_none(),
            "a secret-shaped answer is not cached"
        );
    }

    #[test]
    fn round_trip_and_keys_differ_by_every_part() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("llm"));
        let key = Cache::key("m", &messages("a"), 0.3, 100);
        assert_ne!(key, Cache::key("m2", &messages("a"), 0.3, 100));
        assert_ne!(key, Cache::key("m", &messages("b"), 0.3, 100));
        assert_ne!(key, Cache::key("m", &messages("a"), 0.2, 100));
        assert_ne!(key, Cache::key("m", &messages("a"), 0.3, 99));
        assert_eq!(cache.get(&key), None);
        let answer = CachedAnswer {
            text: "t".into(),
            finish_reason: "stop".into(),
            model: "m".into(),
        };
        cache.put(&key, &answer);
        assert_eq!(cache.get(&key), Some(answer.clone()));
        let truncated_key = Cache::key("m", &messages("c"), 0.3, 100);
        cache.put(
            &truncated_key,
            &CachedAnswer {
                finish_reason: "length".into(),
                ..answer
            },
        );
        assert_eq!(
            cache.get(&truncated_key),
            None,
            "incomplete answers are not cached"
        );
    }
}
