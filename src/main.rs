//! The `revgap` binary: parses the command line and maps failures to exit codes.

use clap::Parser;

fn main() {
    let cli = revgap::cli::Cli::parse();
    if let Err(failure) = revgap::cli::run(cli) {
        eprintln!("revgap: error: {}", failure.message);
        std::process::exit(failure.code);
    }
}
