//! Wiring of the `riffle` binary: configuration, the listener, and subcommands.
//!
//! - [`config`]: command line, environment and config file.
//! - [`http`]: the AWS HTTP edge (one handler for every operation).
//! - [`serve`]: opening storage, starting services and serving until a signal.
//! - [`bench`]: a load generator that drives a real server over loopback.
//! - [`tools`]: the client tools (stream, put, tail, gen, plan) on `riffle-client`.

pub mod auth;
pub mod bench;
pub mod config;
pub mod http;
pub mod serve;
pub mod tls;
pub mod tools;

use config::{Cli, Command};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // The server logs its progress; the client tools only their warnings.
    let default = if matches!(cli.command, Command::Serve(_) | Command::Bench(_) | Command::Agent { .. }) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RIFFLE_LOG").unwrap_or_else(|_| default.into());
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    if matches!(
        cli.command,
        Command::Stream { .. } | Command::Put { .. } | Command::Tail { .. } | Command::Gen { .. } | Command::Plan(_)
    ) {
        restore_sigpipe();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Command::Serve(args) => runtime.block_on(serve::serve(args.resolve()?)),
        Command::Bench(args) => runtime.block_on(bench::run(args)),
        Command::Stream { conn, cmd } => runtime.block_on(tools::stream::run(&conn, cmd)),
        Command::Put { conn, args } => runtime.block_on(tools::put::run(&conn, args)),
        Command::Tail { conn, args } => runtime.block_on(tools::tail::run(&conn, args)),
        Command::Gen { conn, args } => runtime.block_on(tools::generate::run(&conn, args)),
        Command::Agent { conn, args } => runtime.block_on(tools::agent::run(&conn, args)),
        Command::Plan(args) => tools::plan::run(args),
    }
}

/// Lets the client tools end quietly when their output is closed (`riffle tail ... | head`),
/// as command-line tools do, instead of panicking on the broken pipe. The server keeps Rust's
/// default of ignoring SIGPIPE, so a closed connection never kills it.
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to the default has no preconditions; it runs
    // before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
