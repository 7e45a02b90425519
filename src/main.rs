use clap::Parser;
use std::process::ExitCode;

// Performance (issue 13): a build makes millions of small allocations on every core; glibc's
// per-thread heaps grow a page range at a time (thousands of mprotect calls even on the
// real data), mimalloc's do not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = pillars::cmd::Cli::parse();
    pillars::cmd::run(cli)
}
