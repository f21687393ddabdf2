//! Jobs that run on the calendar rather than on a request: the sweep that ends publicity,
//! reassesses complainants and rescores what time (or a failed rescore) left due. It sits
//! above the capabilities and calls each; none of them calls back.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use crate::scores::Scoring;

/// Runs the sweep at start and then every `interval` until shutdown, waking the feed
/// followers when scores moved; `passes` counts the passes finished.
pub async fn run_daily_sweep(
    db: DatabaseConnection,
    scoring: Arc<Scoring>,
    notifier: crate::feed::FeedNotifier,
    interval: std::time::Duration,
    mut shutdown: watch::Receiver<bool>,
    passes: watch::Sender<u64>,
) {
    loop {
        // Publicity that ended becomes `expired` (the score already ignores it from the
        // day after its end; this keeps the record and the public lists in step).
        match crate::penalties::end_due_publicity(&db, crate::clock::now()).await {
            Ok(touched) if !touched.is_empty() => {
                tracing::info!(merchants = touched.len(), "publicity ended");
                notifier.changed().await;
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "ending publicity failed"),
        }
        // Claimant assessments follow the calendar too: complaints age out of the windows.
        // A changed flag never changes a score; only a regulator's review does.
        match crate::claimants::reassess_all(&db, &scoring.model.claimants, crate::clock::now())
            .await
        {
            Ok(s) => tracing::debug!(
                assessed = s.assessed,
                flagged = s.flagged,
                "claimants reassessed"
            ),
            Err(e) => tracing::error!(error = %e, "reassessing claimants failed"),
        }
        match crate::scores::rescore_due(&db, &scoring, crate::clock::now()).await {
            Ok((0, _)) => {}
            Ok((rescored, changed)) => {
                tracing::info!(rescored, changed, "rescored merchants due for review");
                if changed > 0 {
                    notifier.changed().await;
                }
            }
            Err(e) => tracing::error!(error = %e, "rescoring sweep failed"),
        }
        passes.send_modify(|n| *n += 1);
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
