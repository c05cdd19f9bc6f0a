//! Model output is untrusted: escape sequences and control characters are removed before it is
//! shown or written, and leading labels the model likes to add are stripped.

/// Removes ANSI escape sequences (CSI, OSC and two-character escapes) and every control
/// character except newline.
pub fn strip_control(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte in @..~.
                    for next in chars.by_ref() {
                        if ('@'..='~').contains(&next) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    // OSC: until BEL or ESC \.
                    while let Some(next) = chars.next() {
                        if next == '\u{7}' {
                            break;
                        }
                        if next == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

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
    fn ansi_and_control_sequences_are_removed() {
        let raw = "Spend \u{1b}[31mfell\u{1b}[0m\u{7} by \u{1b}]0;owned\u{7}half.\u{1b}c\r";
        assert_eq!(strip_control(raw), "Spend fell by half.");
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
