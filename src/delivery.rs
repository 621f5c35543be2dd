//! Push delivery (`--deliver-to URL`): events are posted to the platform in order, in batches
//! (`{events: [...]}`, the same views as `GET /api/events`), at least once. The position is a
//! durable cursor advanced only after a 2xx, so a restart resumes where delivery stopped (a batch
//! in flight during a crash is posted again: receivers dedupe by event id). Failures are retried
//! with backoff, forever.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::api::event_view;
use crate::app::App;
use crate::store::{Store, StoredEvent};

/// The cursor's name in storage.
pub(crate) const CURSOR: &str = "push";
/// Events per POST.
const BATCH: usize = 100;
/// The longest wait between retries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Runs until `shutdown` turns true.
pub async fn run<S: Store>(app: Arc<App<S>>, target: String, mut shutdown: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(client) => client,
        Err(error) => return tracing::error!(%error, "push delivery cannot start"),
    };
    let mut cursor = app.store.cursor(CURSOR).await.ok().flatten().unwrap_or(0);
    let mut failures = 0u32;
    while !*shutdown.borrow() {
        let wait = match next_batch(&app, cursor).await {
            Some(batch) if !batch.is_empty() => match post(&client, &target, &batch).await {
                Ok(()) => {
                    cursor = batch.last().map_or(cursor, |e| e.id);
                    failures = 0;
                    app.metrics.delivered(batch.len());
                    if let Err(error) = app.store.set_cursor(CURSOR, cursor).await {
                        tracing::error!(%error, "cannot store the delivery cursor");
                    }
                    continue;
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%error, failures, "push delivery failed; retrying");
                    backoff(failures)
                }
            },
            _ => Duration::from_secs(1),
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = app.events_stored.notified(), if failures == 0 => {}
            _ = shutdown.changed() => {}
        }
    }
}

async fn next_batch<S: Store>(app: &App<S>, cursor: i64) -> Option<Vec<StoredEvent>> {
    match app.store.events_after(cursor, BATCH).await {
        Ok(batch) => Some(batch),
        Err(error) => {
            tracing::error!(%error, "cannot read events to deliver");
            None
        }
    }
}

async fn post(client: &reqwest::Client, target: &str, batch: &[StoredEvent]) -> Result<(), String> {
    let events: Vec<Value> = batch.iter().map(event_view).collect();
    let body = json!({ "events": events }).to_string();
    let response = client
        .post(target)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {target}: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("POST {target} answered {}", response.status()))
    }
}

/// 0.5 s, 1 s, 2 s ... up to a minute.
fn backoff(failures: u32) -> Duration {
    (Duration::from_millis(500) * 2u32.saturating_pow(failures.saturating_sub(1).min(10)))
        .min(MAX_BACKOFF)
}
