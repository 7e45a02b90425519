use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = pillars::cmd::Cli::parse();
    pillars::cmd::run(cli)
}
