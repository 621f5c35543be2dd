//! The read pool: a few connections (WAL lets them read while the writer writes), each query run on
//! a blocking thread so the async runtime never waits on SQLite. A query takes a free connection, or
//! waits for one when all are busy.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, MutexGuard, TryLockError};

use rusqlite::Connection;

use super::writer::{Shared, closed, lock};
use crate::store::{StoreError, StoreResult};

pub(super) struct Readers {
    connections: Arc<[Shared]>,
    next: AtomicUsize,
    closed: AtomicBool,
}

impl Readers {
    pub(super) fn new(connections: Vec<Shared>) -> Readers {
        Readers {
            connections: connections.into(),
            next: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `work` on a pooled connection, on a blocking thread.
    pub(super) async fn read<R, F>(&self, work: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        if self.closed.load(Ordering::SeqCst) {
            return Err(closed());
        }
        let connections = self.connections.clone();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let task = tokio::task::spawn_blocking(move || work(&checkout(&connections, start)));
        task.await
            .map_err(|e| StoreError(format!("read task failed: {e}")))?
    }

    /// Refuses further reads.
    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// A free connection, trying each from `start` on; else waits for the one at `start`.
fn checkout(connections: &[Shared], start: usize) -> MutexGuard<'_, Connection> {
    let count = connections.len();
    for offset in 0..count {
        match connections[(start + offset) % count].try_lock() {
            Ok(guard) => return guard,
            Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {}
        }
    }
    lock(&connections[start % count])
}
