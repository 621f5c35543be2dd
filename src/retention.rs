//! Retention. A webhook adds an entry to its subscription's invocation log, so the log grows
//! with the traffic (at 10 000 webhooks a second, close to a billion entries a day): entries older
//! than `--log-retention` (default 7 days) are deleted. Events are the product's output and a
//! consumer may still need them, so they are kept forever unless `--event-retention` says
//! otherwise; with push delivery on, an event is deleted only once it has been delivered, whatever
//! its age. Rows go oldest first, a few thousand per transaction so that the webhooks' commits go
//! on between them, and a stop is honoured between two transactions (the first run after an
//! upgrade may find a long backlog). Event ids are never reused, so pull cursors stay valid.
//!
//! "Oldest" is by id, which follows the order rows were written; a row is deleted when it was
//! written (started, received) before the cutoff. After the clock was set back, rows dated in the
//! future sit at the front until their date passes, and those behind them wait with them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::app::{App, now_millis};
use crate::store::Store;

/// Rows deleted per transaction.
const CHUNK: usize = 2_000;
/// How often rows are pruned at most: a quarter of the shortest retention, within these bounds.
const PERIOD_MIN: Duration = Duration::from_millis(250);
const PERIOD_MAX: Duration = Duration::from_secs(60);

/// How long each kind of row is kept (`None`: forever).
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub logs: Option<Duration>,
    pub events: Option<Duration>,
    /// Push delivery is on: an event goes only once delivered.
    pub delivering: bool,
}

impl Policy {
    /// Whether anything is ever deleted.
    pub fn prunes(&self) -> bool {
        self.logs.is_some() || self.events.is_some()
    }
}

/// The rows one pass prunes.
#[derive(Clone, Copy, Debug)]
enum Rows {
    Logs,
    Events { delivering: bool },
}

/// Prunes now and then every period, until `shutdown`.
pub async fn run<S: Store>(app: Arc<App<S>>, policy: Policy, mut shutdown: watch::Receiver<bool>) {
    let Some(shortest) = policy.logs.into_iter().chain(policy.events).min() else {
        return;
    };
    let period = (shortest / 4).clamp(PERIOD_MIN, PERIOD_MAX);
    let delivering = policy.delivering;
    let passes = [
        policy.logs.map(|age| (Rows::Logs, age)),
        policy.events.map(|age| (Rows::Events { delivering }, age)),
    ];
    while !*shutdown.borrow() {
        for (rows, retention) in passes.iter().flatten() {
            prune(&app, *rows, *retention, &shutdown).await;
        }
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Deletes every row of `rows` written longer than `retention` ago, unless `shutdown` comes first;
/// returns how many went.
async fn prune<S: Store>(
    app: &App<S>,
    rows: Rows,
    retention: Duration,
    shutdown: &watch::Receiver<bool>,
) -> usize {
    let age = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX);
    let before = now_millis().saturating_sub(age);
    // Read once per pass: the cursor only moves forward, so an old value keeps more, never less.
    let delivered = match rows {
        Rows::Events { delivering: true } => {
            match app.store.cursor(crate::delivery::CURSOR).await {
                Ok(cursor) => Some(cursor.unwrap_or(0)),
                Err(error) => {
                    tracing::warn!(%error, "cannot read the push delivery cursor; no event is pruned this time");
                    return 0;
                }
            }
        }
        _ => None,
    };
    let mut deleted = 0;
    loop {
        let pruned = match rows {
            Rows::Logs => app.store.prune_logs(before, CHUNK).await,
            Rows::Events { .. } => app.store.prune_events(before, delivered, CHUNK).await,
        };
        match pruned {
            Ok(n) => {
                deleted += n;
                if n < CHUNK || *shutdown.borrow() {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, ?rows, "cannot prune; trying again later");
                break;
            }
        }
    }
    if deleted > 0 {
        tracing::debug!(deleted, ?rows, "rows past their retention deleted");
    }
    deleted
}

/// How long rows are kept; `None`: forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention(pub Option<Duration>);

/// `--log-retention`, `--event-retention`: `<n>d`, `<n>h`, `<n>m` or `<n>s`; `forever` keeps every
/// row.
pub fn parse(text: &str) -> Result<Retention, String> {
    if text == "forever" {
        return Ok(Retention(None));
    }
    let expected = || format!("'{text}' is not a retention: expected 7d, 12h, 30m, 45s or forever");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(expected)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| expected())?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(expected()),
    };
    match number.checked_mul(seconds) {
        Some(0) => Err(format!(
            "a retention of {text} would delete every entry as it is written; use forever to keep them all"
        )),
        Some(seconds) => Ok(Retention(Some(Duration::from_secs(seconds)))),
        None => Err(expected()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retentions_parse_and_nonsense_is_refused_clearly() {
        let kept = |seconds| Ok(Retention(Some(Duration::from_secs(seconds))));
        assert_eq!(parse("7d"), kept(7 * 86_400));
        assert_eq!(parse("12h"), kept(12 * 3_600));
        assert_eq!(parse("30m"), kept(1_800));
        assert_eq!(parse("45s"), kept(45));
        assert_eq!(parse("forever"), Ok(Retention(None)));
        for bad in ["", "7", "d", "7w", "-1d", "1.5h", "99999999999999999999d"] {
            let error = parse(bad).unwrap_err();
            assert!(error.contains("expected 7d, 12h"), "{bad}: {error}");
        }
        assert!(parse("0d").unwrap_err().contains("use forever"));
    }
}
