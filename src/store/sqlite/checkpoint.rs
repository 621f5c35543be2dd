//! The checkpointer: a thread with a connection of its own that copies the WAL back into the
//! database file, so that the writer never does it inside a commit. SQLite's automatic checkpoint
//! runs in the committing connection, after the commit's sync and before the commit returns: every
//! ~1 000 pages the batch that crossed the line waited for ~1 000 page writes and two more syncs
//! before its webhooks were answered (and so did every webhook queued behind it). Here the writer's
//! WAL hook only signals this thread, which checkpoints `PASSIVE`ly (never blocking the writer or
//! a reader) while the writer goes on; on one core it mostly runs while the writer waits for its
//! sync. Should the thread fall behind (starved, or failing), the writer checkpoints itself once
//! the WAL reaches [`Thresholds::backstop`], so the WAL stays bounded either way.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TrySendError};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::wal::CheckpointMode;

use crate::store::{StoreError, StoreResult};

/// WAL sizes, in pages, at which checkpoints happen.
#[derive(Clone, Copy, Debug)]
pub(super) struct Thresholds {
    /// The writer asks the checkpointer for a checkpoint (SQLite's own default for its automatic
    /// checkpoint).
    pub(super) signal: i32,
    /// The writer checkpoints itself (the checkpointer is behind).
    pub(super) backstop: i32,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            signal: 1_000,
            backstop: 10_000,
        }
    }
}

/// The checkpointer thread's handle.
pub(super) struct Checkpointer {
    thread: JoinHandle<()>,
    #[cfg_attr(not(test), allow(dead_code))] // for tests
    done: Arc<AtomicU64>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to the database at `path`, and hooks `writer` (the
    /// writer's connection) to it. The thread ends once `writer` is closed.
    pub(super) fn start(
        path: &Path,
        writer: &mut Connection,
        thresholds: Thresholds,
    ) -> StoreResult<Checkpointer> {
        let failed = |e| StoreError(format!("start the checkpointer of {}: {e}", path.display()));
        let conn = super::connect(path).map_err(failed)?;
        // One signal waiting is enough: the checkpoint it starts takes the whole WAL.
        let (signal, signals) = mpsc::sync_channel::<()>(1);
        // Warned once per time the WAL crosses the backstop, not at every commit above it.
        let mut warned = false;
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages| {
                if pages >= thresholds.backstop {
                    if !warned {
                        tracing::warn!(
                            pages,
                            "the checkpointer is behind: checkpointing in the writer"
                        );
                        warned = true;
                    }
                    return wal.checkpoint();
                }
                warned = false;
                if pages >= thresholds.signal {
                    // Full: a signal is already waiting. Gone: the thread ended (logged there).
                    let _: Result<(), TrySendError<()>> = signal.try_send(());
                }
                Ok(())
            }))
            .map_err(failed)?;
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || run(&conn, &signals, &counter))
            .map_err(|e| StoreError(format!("start the checkpointer thread: {e}")))?;
        Ok(Checkpointer { thread, done })
    }

    /// Checkpoints run by the thread so far.
    #[cfg_attr(not(test), allow(dead_code))] // for tests
    pub(super) fn checkpoints(&self) -> u64 {
        self.done.load(Ordering::SeqCst)
    }

    /// Waits for the thread, which ends once the writer's connection is closed.
    pub(super) fn join(self) {
        let _ = self.thread.join();
    }
}

fn run(conn: &Connection, signals: &Receiver<()>, done: &AtomicU64) {
    while signals.recv().is_ok() {
        match conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
            Ok(_) => {
                done.fetch_add(1, Ordering::SeqCst);
            }
            // The writer's backstop keeps the WAL bounded meanwhile.
            Err(error) => tracing::error!(%error, "checkpoint failed"),
        }
    }
}
