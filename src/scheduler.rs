//! The refresh scheduler: one task that sleeps until the earliest `nextRefreshTimestamp` in storage
//! (or until woken because one moved earlier), runs what is due with bounded concurrency, and sleeps
//! again. Nothing per subscription lives in memory, so a million subscriptions cost rows, not
//! timers. Durable: due times are rows, so refreshes that fell due while the service was down run
//! as soon as it is back. Each picked refresh first takes a lease (its due time moves a minute
//! ahead), so it is not picked twice, and is picked again if the process dies during it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};

use crate::app::{App, now_millis};
use crate::lifecycle;
use crate::store::{Change, Store};

/// How far a picked refresh's due time moves while it runs.
const LEASE_MILLIS: i64 = 60_000;
/// The longest sleep, so that a clock change or a missed wake-up costs at most this.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Runs until `shutdown` turns true.
pub async fn run<S: Store>(app: Arc<App<S>>, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(app.config.refresh_concurrency.max(1)));
    while !*shutdown.borrow() {
        run_due(&app, &permits).await;
        let sleep = match app.store.next_refresh_at().await {
            Ok(Some(at)) => {
                Duration::from_millis(u64::try_from(at - now_millis()).unwrap_or(0)).min(MAX_SLEEP)
            }
            Ok(None) => MAX_SLEEP,
            Err(error) => {
                tracing::error!(%error, "cannot read due refreshes");
                Duration::from_secs(5)
            }
        };
        if sleep.is_zero() && permits.available_permits() == 0 {
            let _ = permits.acquire().await.map(drop);
        }
        tokio::select! {
            () = tokio::time::sleep(sleep.max(Duration::from_millis(10))) => {}
            () = app.refresh_wakeup.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
    // Let refreshes in flight finish before the store closes under them.
    let all = u32::try_from(app.config.refresh_concurrency.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(35), permits.acquire_many(all)).await;
}

async fn run_due<S: Store>(app: &Arc<App<S>>, permits: &Arc<Semaphore>) {
    let available = permits.available_permits();
    if available == 0 {
        return;
    }
    let due = match app.store.due_refreshes(now_millis(), available).await {
        Ok(due) => due,
        Err(error) => return tracing::error!(%error, "cannot read due refreshes"),
    };
    for subscription in due {
        let lease = Change {
            next_refresh_at: Some(Some(now_millis() + LEASE_MILLIS)),
            ..Change::default()
        };
        if let Err(error) = app.store.update_subscription(&subscription.id, lease).await {
            tracing::error!(%error, subscription = %subscription.id, "cannot lease a refresh");
            continue;
        }
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let app = app.clone();
        tokio::spawn(async move {
            match lifecycle::refresh(&app, &subscription.id).await {
                Ok(_) => {
                    tracing::info!(subscription = %subscription.id, connector = %subscription.connector, "refreshed")
                }
                Err(error) => {
                    tracing::warn!(subscription = %subscription.id, connector = %subscription.connector, %error, "refresh failed")
                }
            }
            drop(permit);
        });
    }
}
