//! The `revgap` binary: parses the command line and maps failures to exit codes.

use clap::Parser;

fn main() {
    let cli = match revgap::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => {
            // A usage error is one line, like every other error (clap adds a blank line and
            // a --help hint; the first line says it all).
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("revgap: error: {}", usage_line(&error, first));
            std::process::exit(2);
        }
        Err(help_or_version) => help_or_version.exit(),
    };
    if let Err(failure) = revgap::cli::run(cli) {
        // The one place every error is shown: no URL credentials get past it.
        eprintln!(
            "revgap: error: {}",
            revgap::text::redact_url_credentials(&failure.message)
        );
        std::process::exit(failure.code);
    }
}

/// One line for a usage error: clap's first line with what its later lines add (the accepted
/// values, the missing arguments, a suggestion for a mistyped name).
fn usage_line(error: &clap::Error, first: &str) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let strings = |kind| match error.get(kind) {
        Some(ContextValue::Strings(values)) => values.clone(),
        Some(ContextValue::String(value)) => vec![value.clone()],
        _ => Vec::new(),
    };
    let mut line = first.trim_end_matches(':').to_string();
    if error.kind() == ErrorKind::MissingRequiredArgument {
        line.push_str(": ");
        line.push_str(&strings(ContextKind::InvalidArg).join(", "));
    }
    let values = strings(ContextKind::ValidValue);
    if !values.is_empty() {
        line.push_str(&format!("; expected one of: {}", values.join(", ")));
    }
    let suggested: Vec<String> = [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand]
        .into_iter()
        .flat_map(strings)
        .collect();
    if !suggested.is_empty() {
        line.push_str(&format!("; did you mean {}?", suggested.join(" or ")));
    }
    line.push_str(" (see --help)");
    line
}
