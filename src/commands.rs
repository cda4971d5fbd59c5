//! The offline subcommands: `import-orders` and `reconcile`.

use std::{io::Write, path::Path};

use anyhow::Context;
use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    App,
    config::Config,
    http::exports::ExportParams,
    orderbook::{self, import},
    reconcile::{report, sweep},
};

/// What an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ImportStats {
    pub imported: usize,
    pub rejected: usize,
}

/// Imports an order file (CSV or JSON lines). Bad rows go to `errors` with their line
/// number; the others are upserted in batches, each in one transaction.
pub async fn import_orders(
    config: Config,
    path: &Path,
    errors: &mut impl Write,
    progress: bool,
) -> anyhow::Result<ImportStats> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let parsed = import::parse(path, &text);
    for b in &parsed.bad {
        writeln!(errors, "{}:{}: {}", path.display(), b.line, b.reason)?;
    }
    let app = App::build(config).await?;
    let bar = if progress {
        ProgressBar::new(parsed.rows.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders ({per_sec}, eta {eta})")
            .context("progress template")?,
    );
    let mut stats = ImportStats {
        imported: 0,
        rejected: parsed.bad.len(),
    };
    for chunk in parsed.rows.chunks(500) {
        let facts: Vec<_> = chunk.iter().map(|(_, f)| f.clone()).collect();
        orderbook::upsert(&app.state.db, &facts, "import", &app.state.config.recon)
            .await
            .with_context(|| format!("lines {}–{}", chunk[0].0, chunk[chunk.len() - 1].0))?;
        stats.imported += chunk.len();
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(stats)
}

/// Writes the reconciliation report as CSV to `out` (after a sweep when asked).
pub async fn reconcile(
    config: Config,
    params: &ExportParams,
    run_sweep: bool,
    out: &mut (impl Write + Send),
) -> anyhow::Result<()> {
    let filter = params.filter().map_err(|e| anyhow::anyhow!("{e}"))?;
    let app = App::build(config).await?;
    if run_sweep {
        sweep::sweep(&app.state.db, &app.state.config.recon, chrono::Utc::now()).await?;
    }
    let mut stream = std::pin::pin!(report::stream(
        app.state.db.clone(),
        app.state.config.recon.tolerance,
        filter
    ));
    while let Some(chunk) = stream.try_next().await? {
        out.write_all(&chunk)?;
    }
    out.flush()?;
    Ok(())
}

/// Replays stored events and prints, per event, what changed (or would change).
pub async fn replay(
    config: Config,
    selection: &crate::ingest::replay::ReplaySelection,
    dry_run: bool,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let app = App::build(config).await?;
    let ids = crate::ingest::replay::select(&app.state.db, selection).await?;
    let mut recovered = 0;
    for id in &ids {
        if let Some(r) =
            crate::ingest::replay::replay(&app.state.db, *id, dry_run, &app.state.config.recon)
                .await?
        {
            if r.before == "rejected" && r.after == "accepted" {
                recovered += 1;
            }
            writeln!(out, "{}{r}", if dry_run { "[dry run] " } else { "" })?;
        }
    }
    writeln!(
        out,
        "{} events examined, {recovered} {}",
        ids.len(),
        if dry_run {
            "would be recovered"
        } else {
            "recovered"
        }
    )?;
    Ok(recovered)
}
