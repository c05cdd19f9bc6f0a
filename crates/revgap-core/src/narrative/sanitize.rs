//! Model output is untrusted: escape sequences and control characters are removed before it is
//! shown or written, and leading labels the model likes to add are stripped.

pub use crate::text::strip_control;

/// Labels a model may put before its answer; removed (repeatedly) from the start.
const LEADING_LABELS: [&str; 8] = [
    "opportunity description:",
    "internal rationale:",
    "internal note:",
    "rationale:",
    "analysis:",
    "note:",
    "summary:",
    "answer:",
];

/// Strips leading labels and markdown emphasis around them, and surrounding blank space.
pub fn strip_labels(text: &str) -> String {
    let mut rest = text.trim();
    loop {
        let unstarred = rest.trim_start_matches(['*', '#', ' ']);
        let lower = unstarred.to_lowercase();
        match LEADING_LABELS
            .iter()
            .find(|label| lower.starts_with(*label))
        {
            Some(label) => {
                rest = unstarred[label.len()..]
                    .trim_start_matches(['*', ' '])
                    .trim_start();
            }
            None => return rest.trim().to_string(),
        }
    }
}

/// Both steps: what is safe to display.
pub fn clean_output(text: &str) -> String {
    strip_labels(&strip_control(text))
}

/// The text after a "Next step:" label (case-insensitive), up to the end of its sentence;
/// `None` when there is no such label or nothing follows it.
pub fn next_step_sentence(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let at = lower.find("next step:")?;
    // Lower-casing keeps byte offsets for the ASCII label, so `at` indexes `text` too.
    let rest = text
        .get(at + "next step:".len()..)?
        .trim_start_matches(['*', ' ']);
    let end = rest
        .char_indices()
        .find(|&(i, c)| {
            c == '\n'
                || matches!(c, '.' | '!' | '?')
                    && rest[i + c.len_utf8()..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace)
        })
        .map_or(rest.len(), |(i, c)| i + c.len_utf8());
    let sentence = rest[..end].trim();
    (!sentence.is_empty()).then(|| sentence.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_step_sentence_is_found_whatever_follows() {
        assert_eq!(
            next_step_sentence("Spend fell 40%. Next step: send a win-back email. Thanks."),
            Some("send a win-back email.".into())
        );
        assert_eq!(
            next_step_sentence("**Next step:** call them about 15.5 off\nmore"),
            Some("call them about 15.5 off".into())
        );
        assert_eq!(next_step_sentence("No label here."), None);
        assert_eq!(next_step_sentence("Next step:   "), None);
    }

    #[test]
    fn repeated_leading_labels_are_stripped() {
        let raw = "**Opportunity Description:** Opportunity Description: Customer 48 stopped.";
        assert_eq!(strip_labels(raw), "Customer 48 stopped.");
        assert_eq!(strip_labels("Rationale: spend fell"), "spend fell");
        assert_eq!(
            strip_labels("Spend fell. Rationale: x"),
            "Spend fell. Rationale: x"
        );
    }
}
