//! Wiring of the `riffle` binary: configuration, the listener, and subcommands.
//!
//! - [`config`]: command line, environment and config file.
//! - [`http`]: the AWS HTTP edge (one handler for every operation).
//! - [`serve`]: opening storage, starting services and serving until a signal.
//! - [`bench`]: a load generator that drives a real server over loopback.

pub mod auth;
pub mod bench;
pub mod config;
pub mod http;
pub mod serve;
pub mod tls;

use config::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RIFFLE_LOG").unwrap_or_else(|_| "info".into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::serve(args.resolve()?)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
    }
}
