//! The service's shared state: configuration, the loaded connectors, the JS runtime, storage, the
//! per-subscription locks that keep state-changing invocations of one subscription in order, and the
//! wake-up of the refresh scheduler. Built by [`App::new`], so tests drive it without a socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use runtime::{ConnectorSet, Runtime};
use tokio::sync::Notify;

use crate::metrics::Metrics;
use serde_json::Value;

use crate::store::{Millis, Store, StoreResult, Subscription};

/// What `serve` was started with.
#[derive(Clone, Debug)]
pub struct Config {
    /// The base of every webhook URI handed to external apps (`https://hooks.example.com`).
    pub public_url: String,
    /// Bearer token guarding `/api/*`, when set.
    pub api_token: Option<String>,
    /// Largest request body accepted (default 10 MiB).
    pub body_limit: usize,
    /// Refreshes run at once, at most (default 8).
    pub refresh_concurrency: usize,
    /// Connector (integration) parameters by connector key, from `--connector-parameters`: what
    /// a global webhook's `handle` gets (a signing secret), and the default of subscriptions
    /// created without their own.
    pub connector_parameters: serde_json::Map<String, Value>,
}

impl Config {
    /// The configured parameters of `connector` (`{}` when none).
    pub fn parameters_of(&self, connector: &str) -> Value {
        self.connector_parameters
            .get(connector)
            .cloned()
            .unwrap_or_else(|| Value::Object(serde_json::Map::new()))
    }

    /// The one URI of a connector's global webhook.
    pub fn global_webhook_uri(&self, connector: &str, webhook: &str) -> String {
        format!(
            "{}/global-webhooks/{connector}/{webhook}",
            self.public_url.trim_end_matches('/')
        )
    }
}

pub struct App<S> {
    pub config: Config,
    pub runtime: Runtime,
    connectors: RwLock<Arc<ConnectorSet>>,
    pub store: S,
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    /// Woken when a refresh time may have moved earlier.
    pub refresh_wakeup: Notify,
    /// Woken when events were stored (push delivery waits on it).
    pub events_stored: Notify,
    pub metrics: Metrics,
    /// States from webhooks whose commit is queued but not yet durable, by subscription, with a
    /// sequence number: the next invocation (under the subscription's lock) must see them.
    pending_states: Mutex<HashMap<String, (u64, Value)>>,
    next_pending: AtomicU64,
    /// Lifecycle operations running detached from their request (shutdown waits for them).
    operations: AtomicU64,
    operations_done: Notify,
    /// Round-robin over the global webhooks' warm sandboxes, one per JS worker.
    pub global_turn: std::sync::atomic::AtomicUsize,
    /// Subscriptions being re-created right now (their lock released meanwhile).
    recreating: Mutex<std::collections::HashSet<String>>,
}

impl<S: Store> App<S> {
    pub fn new(config: Config, runtime: Runtime, connectors: ConnectorSet, store: S) -> Arc<Self> {
        Arc::new(App {
            config,
            runtime,
            connectors: RwLock::new(Arc::new(connectors)),
            store,
            locks: Mutex::new(HashMap::new()),
            refresh_wakeup: Notify::new(),
            events_stored: Notify::new(),
            metrics: Metrics::default(),
            pending_states: Mutex::new(HashMap::new()),
            next_pending: AtomicU64::new(0),
            recreating: Mutex::new(std::collections::HashSet::new()),
            global_turn: std::sync::atomic::AtomicUsize::new(0),
            operations: AtomicU64::new(0),
            operations_done: Notify::new(),
        })
    }

    /// The connectors as loaded now.
    pub fn connectors(&self) -> Arc<ConnectorSet> {
        self.connectors
            .read()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    /// The subscription as the next invocation must see it: stored, with the state of a webhook
    /// whose commit is still in flight laid over it. Call it holding the subscription's lock.
    pub async fn subscription(&self, id: &str) -> StoreResult<Option<Subscription>> {
        // The pending state first: it is cleared only once its commit is durable, so if there is
        // none now, the read below sees every earlier commit; if there is one, it is the newest
        // (new ones are only set under the lock the caller holds).
        let pending = self
            .pending_states
            .lock()
            .ok()
            .and_then(|p| p.get(id).map(|(_, s)| s.clone()));
        let mut subscription = self.store.subscription(id).await?;
        if let (Some(subscription), Some(state)) = (subscription.as_mut(), pending) {
            subscription.state = state;
        }
        Ok(subscription)
    }

    /// Records the state a queued commit will store; returns its sequence number.
    pub fn set_pending_state(&self, id: &str, state: Value) -> u64 {
        let seq = self.next_pending.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut pending) = self.pending_states.lock() {
            pending.insert(id.to_string(), (seq, state));
        }
        seq
    }

    /// Forgets pending state `seq` once its commit is durable (or failed), unless a newer one came.
    pub fn clear_pending_state(&self, id: &str, seq: u64) {
        if let Ok(mut pending) = self.pending_states.lock()
            && pending.get(id).is_some_and(|(newest, _)| *newest == seq)
        {
            pending.remove(id);
        }
    }

    /// Forgets any pending state of `id`: called holding its lock, after a state write awaited to
    /// durability (refresh, activation, re-creation). That write was queued after the webhook
    /// commit the pending state belongs to, so the store now has both, the write's state last.
    pub fn forget_pending_state(&self, id: &str) {
        if let Ok(mut pending) = self.pending_states.lock() {
            pending.remove(id);
        }
    }

    /// Counts a lifecycle operation until the guard drops, so that shutdown can wait for it.
    pub fn operation(self: &Arc<Self>) -> Operation<S> {
        self.operations.fetch_add(1, Ordering::SeqCst);
        Operation { app: self.clone() }
    }

    /// Waits until no lifecycle operation runs (or `limit` passes).
    pub async fn operations_finished(&self, limit: std::time::Duration) {
        let wait = async {
            loop {
                let done = self.operations_done.notified();
                if self.operations.load(Ordering::SeqCst) == 0 {
                    return;
                }
                done.await;
            }
        };
        let _ = tokio::time::timeout(limit, wait).await;
    }

    /// Marks `id` as being re-created; `None` if it already is. The mark goes with the guard.
    pub fn start_recreating(&self, id: &str) -> Option<Recreating<'_, S>> {
        let mut set = self.recreating.lock().ok()?;
        set.insert(id.to_string()).then(|| Recreating {
            app: self,
            id: id.to_string(),
        })
    }

    pub fn is_recreating(&self, id: &str) -> bool {
        self.recreating.lock().is_ok_and(|set| set.contains(id))
    }

    /// The lock that serialises state-changing invocations of subscription `id`.
    pub fn lock_of(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut locks) = self.locks.lock() else {
            return Arc::new(tokio::sync::Mutex::new(()));
        };
        if let Some(lock) = locks.get(id).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() > 1024 {
            locks.retain(|_, lock| lock.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(id.to_string(), Arc::downgrade(&lock));
        lock
    }
}

/// A lifecycle operation in progress ([`App::operation`]).
pub struct Operation<S: Store> {
    app: Arc<App<S>>,
}

impl<S: Store> Drop for Operation<S> {
    fn drop(&mut self) {
        self.app.operations.fetch_sub(1, Ordering::SeqCst);
        self.app.operations_done.notify_waiters();
    }
}

/// A subscription being re-created; dropping it ends the mark.
pub struct Recreating<'a, S: Store> {
    app: &'a App<S>,
    id: String,
}

impl<S: Store> Drop for Recreating<'_, S> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.app.recreating.lock() {
            set.remove(&self.id);
        }
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> Millis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
