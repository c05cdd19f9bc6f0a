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

#[cfg(test)]
mod tests {
    use super::*;

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
