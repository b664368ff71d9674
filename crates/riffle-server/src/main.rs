//! The `riffle` binary. Everything lives in the library; this only parses the command line.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    riffle_server::run(riffle_server::config::Cli::parse())
}
