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
            // The accepted values are on a later line: they belong to the one line.
            let expected = match error.get(clap::error::ContextKind::ValidValue) {
                Some(clap::error::ContextValue::Strings(values)) => {
                    format!("; expected one of: {}", values.join(", "))
                }
                _ => String::new(),
            };
            eprintln!("revgap: error: {first}{expected} (see --help)");
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
