//! The checkpointer: a thread with a connection of its own that copies the WAL back into the
//! database file, so that the writer never does it inside a commit. SQLite's automatic checkpoint
//! runs in the committing connection, after the commit's sync and before the commit returns: every
//! ~1 000 pages the batch that crossed the line waited for ~1 000 page writes and two more syncs
//! before its webhooks were answered (and so did every webhook queued behind it). Here the writer's
//! WAL hook only signals this thread, which checkpoints `PASSIVE`ly (never blocking the writer or
//! a reader) while the writer goes on; on one core it mostly runs while the writer waits for its
//! sync. Should the WAL reach [`Thresholds::backstop`] all the same (the thread starved or
//! failing), the writer checkpoints too, as SQLite would. Either way the WAL starts over from its
//! beginning only once it is all copied back and no reader still uses its old part, as with
//! SQLite's own checkpoint: a long read holds it growing.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
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
        let mut hook = Hook {
            thresholds,
            signal,
            warned: false,
        };
        writer
            .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages| {
                hook.committed(pages, || wal.checkpoint());
                // The commit is durable whatever happened here: an error would fail it.
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

/// What the writer's WAL hook does after each commit.
struct Hook {
    thresholds: Thresholds,
    signal: SyncSender<()>,
    /// Warned of this crossing of the backstop already.
    warned: bool,
}

impl Hook {
    /// The WAL holds `pages` after a commit: signal the thread, or past the backstop `checkpoint`
    /// here. Whatever the checkpoint gives (SQLITE_BUSY while the thread is at work, say), the
    /// commit stands, as with SQLite's own hook.
    fn committed(&mut self, pages: i32, checkpoint: impl FnOnce() -> rusqlite::Result<()>) {
        if pages >= self.thresholds.backstop {
            if !self.warned {
                tracing::warn!(
                    pages,
                    "the WAL is past the backstop: checkpointing in the writer"
                );
                self.warned = true;
            }
            match checkpoint() {
                Ok(()) => {}
                // The thread is at work.
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy => {}
                Err(error) => tracing::warn!(%error, "checkpoint in the writer failed"),
            }
            return;
        }
        self.warned = false;
        if pages >= self.thresholds.signal {
            // Full: a signal is already waiting. Gone: the thread ended (logged there).
            let _: Result<(), TrySendError<()>> = self.signal.try_send(());
        }
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

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::{Hook, Thresholds};

    #[test]
    fn the_hook_signals_the_thread_and_past_the_backstop_checkpoints_whatever_that_gives() {
        let (signal, signals) = mpsc::sync_channel(1);
        let thresholds = Thresholds {
            signal: 10,
            backstop: 20,
        };
        let mut hook = Hook {
            thresholds,
            signal,
            warned: false,
        };
        let mut ran = 0;
        hook.committed(5, || {
            ran += 1;
            Ok(())
        });
        assert!(signals.try_recv().is_err(), "signalled below the threshold");
        hook.committed(12, || unreachable!("checkpointed below the backstop"));
        hook.committed(13, || unreachable!("checkpointed below the backstop"));
        assert!(signals.try_recv().is_ok());
        assert!(signals.try_recv().is_err(), "one signal waiting is enough");
        // A busy checkpoint (the thread at work) is no failure of the commit: it returns nothing.
        hook.committed(25, || {
            ran += 1;
            Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                None,
            ))
        });
        assert_eq!(ran, 1);
    }
}
