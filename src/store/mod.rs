//! Durable storage of subscriptions, events and invocation logs, behind the [`Store`] trait so that
//! a networked database can join without touching the lifecycle. The embedded default is SQLite
//! (`sqlite.rs`): WAL, a schema version with migrations from the first release, and group commit
//! (concurrent webhook commits share one transaction and one sync).

pub mod sqlite;

use std::future::Future;

use serde::Serialize;
use serde_json::Value;

pub use sqlite::SqliteStore;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Where a subscription is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Stored, `subscribe` running: a handshake webhook already finds it.
    Pending,
    /// Subscribed; webhooks are handled, refreshes scheduled.
    Active,
    /// `subscribe` failed; never half-active.
    Failed,
    /// The external app no longer knows it and it could not be re-created.
    Expired,
    /// Unsubscribed; webhooks get 410.
    Deleted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Failed => "failed",
            Status::Expired => "expired",
            Status::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "pending" => Status::Pending,
            "active" => Status::Active,
            "failed" => Status::Failed,
            "expired" => Status::Expired,
            "deleted" => Status::Deleted,
            _ => return None,
        })
    }
}

/// A subscription as stored. `credentials` never leave the service through its API or logs.
#[derive(Clone, Debug, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub connector: String,
    pub event: String,
    pub parameters: Value,
    pub credentials: Value,
    pub connector_parameters: Value,
    pub state: Value,
    pub status: Status,
    pub webhook_uri: String,
    /// When `refresh` is due next.
    pub next_refresh_at: Option<Millis>,
    /// The last failure (subscribe, refresh), as shown to the platform.
    pub last_error: Option<String>,
    /// Consecutive failed refreshes (drives the backoff).
    pub refresh_failures: u32,
    /// Consecutive failed re-creations of a subscription the app lost (drives their backoff and
    /// when it expires).
    pub recreate_failures: u32,
    /// For a `global-webhook` event: the global webhook and selector its events come by.
    pub global: Option<GlobalRoute>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// Where a subscription to a `global-webhook` event listens: what its `getEventSelector` returned.
/// An event of that global webhook goes to it when the event's `selector` equals `selector`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalRoute {
    /// `globalWebhookKey`: a folder under the connector's `global-webhooks/`.
    pub key: String,
    /// `globalWebhookEventSelector`, matched exactly.
    pub selector: String,
}

/// A change to a subscription; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    pub status: Option<Status>,
    pub state: Option<Value>,
    pub next_refresh_at: Option<Option<Millis>>,
    pub last_error: Option<Option<String>>,
    pub refresh_failures: Option<u32>,
    pub recreate_failures: Option<u32>,
    pub global: Option<GlobalRoute>,
    pub webhook_uri: Option<String>,
}

/// An event to store, produced by `handle`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEvent {
    pub subscription_id: String,
    pub connector: String,
    pub event: String,
    /// `created`, `updated`, `deleted` for record events; a payload event's own `type` (or
    /// `None`) otherwise.
    pub kind: Option<String>,
    /// The record (record events) or the payload.
    pub body: Value,
    pub received_at: Millis,
}

/// A stored event; `id` increases in commit order and is the pull cursor.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub event: NewEvent,
}

/// One invocation, as the subscription's log shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct InvocationLog {
    pub subscription_id: String,
    pub method: String,
    pub started_at: Millis,
    pub duration_micros: i64,
    /// `ok` or the error kind (`timeout`, `exception`, ...).
    pub outcome: String,
    /// `[{level, message}]`.
    pub console: Value,
    /// The error's message, JS stack and location, when it failed.
    pub error: Option<Value>,
}

/// What a handled webhook commits, atomically: its events, the new state (if any), its log.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookCommit {
    pub subscription_id: String,
    pub events: Vec<NewEvent>,
    pub state: Option<Value>,
    pub log: InvocationLog,
}

/// A commit on its way ([`Store::expect_commit`]); counted until dropped.
pub struct Expected(Option<std::sync::Arc<Coming>>);

impl Expected {
    pub fn counting(coming: &std::sync::Arc<Coming>) -> Expected {
        coming
            .count
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Expected(Some(coming.clone()))
    }
}

impl Drop for Expected {
    fn drop(&mut self) {
        if let Some(coming) = &self.0 {
            coming.arrived();
        }
    }
}

/// The commits on their way, and the thread that waits for them: until the JS workers have run
/// everything they can ([`Coming::idle`]), since a webhook being handled then has its commit queued.
#[derive(Default)]
pub struct Coming {
    count: std::sync::atomic::AtomicUsize,
    idle: std::sync::atomic::AtomicBool,
    waiter: std::sync::OnceLock<std::thread::Thread>,
}

impl Coming {
    /// Commits still on their way.
    pub fn count(&self) -> usize {
        self.count.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Makes the calling thread the one [`Coming::idle`] wakes.
    pub fn wait_here(&self) {
        let _ = self.waiter.set(std::thread::current());
    }

    /// Parks the waiting thread, if commits are on their way, until the workers are next idle or
    /// `deadline` passes.
    pub fn wait(&self, deadline: std::time::Instant) {
        use std::sync::atomic::Ordering::SeqCst;
        if self.count() == 0 {
            return;
        }
        self.idle.store(false, SeqCst);
        while !self.idle.load(SeqCst) {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return;
            };
            std::thread::park_timeout(left);
        }
    }

    /// The JS workers have nothing left to run: a waiting batch may commit.
    pub fn idle(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        if !self.idle.swap(true, SeqCst)
            && let Some(waiter) = self.waiter.get()
        {
            waiter.unpark();
        }
    }

    fn arrived(&self) {
        self.count.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A storage failure, with what was being done.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage the service needs. Every write is durable when its future resolves.
pub trait Store: Send + Sync + 'static {
    fn insert_subscription(
        &self,
        subscription: Subscription,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn subscription(
        &self,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<Subscription>>> + Send;
    /// Subscriptions by id, after `after`, at most `limit`.
    fn subscriptions(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send;
    fn update_subscription(
        &self,
        id: &str,
        change: Change,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Stores a webhook's events, new state and log in one transaction; returns the event ids.
    /// The commit is queued when this is *called*, after every write called before it: a caller
    /// may release its lock before awaiting durability, and the order still holds.
    fn commit_webhook(
        &self,
        commit: WebhookCommit,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send + 'static;
    /// Says a webhook is being handled, so a commit will follow: group commit may wait for it
    /// under load. Drop the guard once that commit is queued (or will not come).
    fn expect_commit(&self) -> Expected {
        Expected(None)
    }
    /// The JS workers have run everything they can: no webhook being handled will queue its
    /// commit before they run again, so a batch waiting for them may commit now.
    fn workers_idle(&self) {}
    /// Stores events of several subscriptions (a global webhook's) in one transaction; returns
    /// their ids. Queued when called, like [`Store::commit_webhook`].
    fn commit_events(
        &self,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send;
    /// The active subscriptions of `connector` routed to global webhook `key` with `selector`.
    fn subscriptions_for_selector(
        &self,
        connector: &str,
        key: &str,
        selector: &str,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send;
    /// Subscriptions in `status`, by id, at most `limit`.
    fn subscriptions_with_status(
        &self,
        status: Status,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send;
    /// How many subscriptions are in each status.
    fn status_counts(&self) -> impl Future<Output = StoreResult<Vec<(Status, u64)>>> + Send;
    fn append_log(&self, log: InvocationLog) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes up to `limit` of the oldest invocation log entries, those among them that started
    /// before `before`; returns how many went. Entries are appended in about the order they start,
    /// so fewer than `limit` means none older is left.
    fn prune_logs(
        &self,
        before: Millis,
        limit: usize,
    ) -> impl Future<Output = StoreResult<usize>> + Send;
    /// Deletes up to `limit` of the oldest events, those among them received before `before` and,
    /// when `delivered` is given, with an id at most that (push delivery's cursor: an event not
    /// yet delivered stays whatever its age); returns how many went. Ids are never reused, so a
    /// consumer's cursor stays valid.
    fn prune_events(
        &self,
        before: Millis,
        delivered: Option<i64>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<usize>> + Send;
    /// The subscription's latest invocations, newest first.
    fn logs(
        &self,
        subscription_id: &str,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<InvocationLog>>> + Send;
    /// Events with an id above `cursor`, in order, at most `limit`.
    fn events_after(
        &self,
        cursor: i64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<StoredEvent>>> + Send;
    /// Active subscriptions whose refresh is due at `now`, earliest first, at most `limit`.
    fn due_refreshes(
        &self,
        now: Millis,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send;
    /// The value of the named cursor (push delivery's position), `None` before the first set.
    fn cursor(&self, name: &str) -> impl Future<Output = StoreResult<Option<i64>>> + Send;
    fn set_cursor(&self, name: &str, value: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// The earliest refresh time of any active subscription.
    fn next_refresh_at(&self) -> impl Future<Output = StoreResult<Option<Millis>>> + Send;
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::{Coming, Expected};

    const LONG: Duration = Duration::from_secs(10);

    #[test]
    fn a_batch_waits_for_expected_commits_only_until_the_workers_are_idle() {
        let coming = Arc::new(Coming::default());
        coming.wait_here();

        let start = Instant::now();
        coming.wait(start + LONG);
        assert!(start.elapsed() < LONG / 4, "waited with nothing coming");

        let expected = Expected::counting(&coming);
        let idle = {
            let coming = coming.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                coming.idle();
            })
        };
        let start = Instant::now();
        coming.wait(start + LONG);
        let waited = start.elapsed();
        idle.join().unwrap();
        assert!(
            waited >= Duration::from_millis(50) && waited < LONG / 4,
            "waited {waited:?} for idle workers"
        );

        // An idle signal from before the wait does not count: the workers may have taken up
        // webhooks since.
        coming.idle();
        let start = Instant::now();
        coming.wait(start + Duration::from_millis(100));
        assert!(start.elapsed() >= Duration::from_millis(100));
        drop(expected);
        assert_eq!(coming.count(), 0);
    }
}
