//! The `refund-recon` binary: parse the command line, load configuration, dispatch.

// The CLI subcommands (schema, reconcile, replay) print their output on stdout.
#![allow(clippy::print_stdout)]

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use refund_recon::config::{Config, RawConfig};

#[derive(Parser)]
#[command(
    name = "refund-recon",
    version,
    about = "Refund webhooks in, one reconciled ledger out"
)]
struct Cli {
    /// TOML configuration file (keys as in the README; environment and flags override it).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL (overrides DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Listen address (overrides REFUND_RECON_LISTEN).
    #[arg(long, global = true, value_name = "ADDR")]
    listen: Option<String>,
    /// Log filter (overrides REFUND_RECON_LOG).
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Import orders from a CSV or JSON-lines file (bad rows are reported, the rest imported).
    ImportOrders {
        /// CSV with header `order_number,total,currency,placed_at,refs`, or JSON lines.
        file: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Re-run stored webhook events through today's parsers.
    Replay {
        /// Only this provider's events (slug, e.g. unipayment).
        #[arg(long)]
        provider: Option<String>,
        /// Only events received at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// `rejected` (default) or `all` (applied events are left unchanged).
        #[arg(long, default_value = "rejected")]
        status: String,
        /// Print what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print (or write) the reconciliation report as CSV.
    Reconcile {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Only these states, comma-separated (e.g. UNDER_REFUNDED,OVER_REFUNDED).
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        currency: Option<String>,
        /// Only orders with refunds from these providers, comma-separated.
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        order_number: Option<String>,
        /// Re-check time-based discrepancies first.
        #[arg(long)]
        sweep: bool,
    },
}

fn load_config(cli: &Cli) -> Result<Config, String> {
    let file = match &cli.config {
        Some(p) => RawConfig::from_toml_file(p).map_err(|e| e.to_string())?,
        None => RawConfig::default(),
    };
    let env = RawConfig::from_env(|k| std::env::var(k).ok());
    let flags = RawConfig {
        database_url: cli.database_url.clone(),
        listen: cli.listen.clone(),
        log: cli.log.clone(),
        ..RawConfig::default()
    };
    Config::try_from(flags.over(env.over(file))).map_err(|e| e.to_string())
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("refund-recon: {msg}");
    ExitCode::from(2)
}

/// An error chain on one line: "cannot open database …: connection refused".
fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string().replace('\n', " "))
        .collect::<Vec<_>>()
        .join(": ")
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", refund_recon::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match load_config(&cli) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    refund_recon::telemetry::init_tracing(&config.log, config.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => match tokio::net::TcpListener::bind(config.listen).await {
            Ok(listener) => refund_recon::run(config, listener).await,
            Err(e) => Err(anyhow::anyhow!("cannot listen on {}: {e}", config.listen)),
        },
        Command::Migrate => migrate(config).await,
        Command::Schema => Ok(()),
        Command::ImportOrders { file, quiet } => {
            let mut stderr = std::io::stderr();
            match refund_recon::commands::import_orders(config, &file, &mut stderr, !quiet).await {
                Ok(s) => {
                    eprintln!(
                        "imported {} orders, {} rows rejected",
                        s.imported, s.rejected
                    );
                    if s.rejected > 0 {
                        return ExitCode::from(3);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Command::Replay {
            provider,
            since,
            status,
            dry_run,
        } => match replay_selection(provider, since, &status) {
            Ok(sel) => {
                let mut out = std::io::stdout();
                refund_recon::commands::replay(config, &sel, dry_run, &mut out)
                    .await
                    .map(|_| ())
            }
            Err(e) => return fail(e),
        },
        Command::Reconcile {
            output,
            state,
            currency,
            provider,
            order_number,
            sweep,
        } => {
            let params = refund_recon::http::exports::ExportParams {
                state,
                currency,
                provider,
                order_number,
            };
            match output {
                Some(path) => match std::fs::File::create(&path) {
                    Ok(f) => {
                        let mut w = std::io::BufWriter::new(f);
                        refund_recon::commands::reconcile(config, &params, sweep, &mut w).await
                    }
                    Err(e) => Err(anyhow::anyhow!("cannot write {}: {e}", path.display())),
                },
                None => {
                    let mut w = std::io::BufWriter::new(std::io::stdout());
                    refund_recon::commands::reconcile(config, &params, sweep, &mut w).await
                }
            }
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(one_line(&e)),
    }
}

fn replay_selection(
    provider: Option<String>,
    since: Option<String>,
    status: &str,
) -> Result<refund_recon::ingest::replay::ReplaySelection, String> {
    let provider = provider
        .map(|p| p.parse().map_err(|e| format!("--provider: {e}")))
        .transpose()?;
    let since = since
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(&t)
                .map(|d| d.with_timezone(&chrono::Utc))
                .map_err(|_| format!("--since: `{t}` is not an RFC 3339 time"))
        })
        .transpose()?;
    let all = match status {
        "rejected" => false,
        "all" => true,
        other => {
            return Err(format!(
                "--status: `{other}` is neither `rejected` nor `all`"
            ));
        }
    };
    Ok(refund_recon::ingest::replay::ReplaySelection {
        provider,
        since,
        all,
    })
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    refund_recon::App::build(config).await?;
    tracing::info!("migrations applied");
    Ok(())
}
