//! The one writer thread and its group commit. Callers queue jobs on a channel; the thread takes
//! every queued job (up to [`MAX_BATCH`]), runs them in one `BEGIN IMMEDIATE` transaction, each in a
//! savepoint of its own so one failing job is rolled back alone, commits (one WAL sync for the whole
//! batch) and only then answers each caller. Tricky: an error that makes SQLite abort the whole
//! transaction (I/O, full disk) must fail the batch, not let later jobs run in autocommit mode.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::cache::Cache;
use super::reads;
use crate::store::{Coming, StoreError, StoreResult};

/// A connection shared between threads (the in-memory store's writer and reader are one).
pub(super) type Shared = Arc<Mutex<Connection>>;

/// Most jobs committed in one transaction.
const MAX_BATCH: usize = 512;
/// While webhooks are being handled (their commits on the way), a batch waits for them, so that
/// they share its sync: until the JS workers have run all they can (every webhook they were
/// handling has queued its commit), at most this long. Measured on one core (bench/webhooks.sh, 16
/// connections): committing at once made batches of ~1 webhook, waiting a fixed 1 ms ~7 (throughput
/// up by ~60%); ending the wait when the workers are idle as well gave ~5% more, since the core
/// no longer idles out the rest of the wait. The bound matters only when the workers never idle
/// (more webhooks than the core keeps up with): 3 ms rather than 1 ms halved the writer's CPU per
/// webhook with a fresh sandbox per invocation (75 → 40 µs, throughput +5–18 %) and cut it by a
/// quarter at 64 connections; 5 ms gained nothing more. With no webhook in flight (an idle
/// service, one client at a time, lifecycle writes) a batch commits at once.
const COMMIT_DELAY: Duration = Duration::from_millis(3);

/// The writer thread's handle: the queue's sending end, the thread, its commit count.
pub(super) struct Writer {
    queue: RwLock<Option<Sender<Box<dyn Job>>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    commits: Arc<AtomicU64>,
    /// Commits on their way: webhooks being handled (see `Store::expect_commit`).
    coming: Arc<Coming>,
}

impl Writer {
    /// Starts the thread that owns `conn` for writing, publishing committed rows to `cache`.
    pub(super) fn start(conn: Shared, cache: Arc<Cache>) -> StoreResult<Writer> {
        let (queue, jobs) = mpsc::channel();
        let commits = Arc::new(AtomicU64::new(0));
        let coming = Arc::new(Coming::default());
        let (counter, awaited) = (commits.clone(), coming.clone());
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(&conn, &jobs, &counter, &awaited, &cache))
            .map_err(|e| StoreError(format!("start the writer thread: {e}")))?;
        Ok(Writer {
            queue: RwLock::new(Some(queue)),
            thread: Mutex::new(Some(thread)),
            commits,
            coming,
        })
    }

    /// The count of commits on their way.
    pub(super) fn coming(&self) -> &Arc<Coming> {
        &self.coming
    }

    /// Runs `work` in the next batch; resolves once that batch is durably committed. `touches`:
    /// the subscription whose row it may change, published to the cache after the commit.
    pub(super) async fn write<R, F>(&self, touches: Option<String>, work: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        self.enqueue(touches, work).await
    }

    /// Queues `work` now, in call order, and returns the wait for its commit: a caller may let go
    /// of its own locks between the two.
    pub(super) fn enqueue<R, F>(
        &self,
        touches: Option<String>,
        work: F,
    ) -> impl Future<Output = StoreResult<R>> + Send + use<R, F>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let sent = self.send(Box::new(Pending {
            work: Some(work),
            touches,
            result: None,
            reply,
        }));
        async move {
            sent?;
            answer.await.map_err(|_| closed())?
        }
    }

    fn send(&self, job: Box<dyn Job>) -> StoreResult<()> {
        let queue = self
            .queue
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        queue
            .as_ref()
            .ok_or_else(closed)?
            .send(job)
            .map_err(|_| closed())
    }

    /// Transactions committed so far.
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// Refuses further writes; the thread commits what is queued and ends. Returns it to join.
    pub(super) fn stop(&self) -> Option<JoinHandle<()>> {
        self.queue
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        lock(&self.thread).take()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Some(thread) = self.stop() {
            let _ = thread.join();
        }
    }
}

/// The error of a store whose writer is gone.
pub(super) fn closed() -> StoreError {
    StoreError("the store is closed".into())
}

/// Locks `mutex`, taking over from a thread that panicked while holding it.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A queued write.
trait Job: Send {
    /// Runs the write; `false` if it failed (its savepoint is then rolled back).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the batch's fate is known.
    fn answer(self: Box<Self>, batch: &StoreResult<()>);
    /// The subscription whose row the write may change.
    fn touches(&self) -> Option<&str>;
}

struct Pending<R, F> {
    work: Option<F>,
    touches: Option<String>,
    result: Option<StoreResult<R>>,
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<R, F> Job for Pending<R, F>
where
    R: Send,
    F: FnOnce(&Connection) -> StoreResult<R> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = match self.work.take() {
            Some(work) => work(conn),
            None => Err(StoreError("write ran twice".into())),
        };
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, batch: &StoreResult<()>) {
        let result = match (self.result, batch) {
            (Some(Err(own)), _) => Err(own),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (_, Err(failed)) => Err(StoreError(failed.0.clone())),
            (None, Ok(())) => Err(StoreError("write was not run".into())),
        };
        // The caller may have stopped waiting; its write stands all the same.
        let _ = self.reply.send(result);
    }

    fn touches(&self) -> Option<&str> {
        self.touches.as_deref()
    }
}

/// The writer thread: one batch per wake-up until every sender is gone.
fn run(
    conn: &Shared,
    jobs: &Receiver<Box<dyn Job>>,
    commits: &AtomicU64,
    coming: &Coming,
    cache: &Cache,
) {
    coming.wait_here();
    while let Ok(first) = jobs.recv() {
        // Webhooks being handled now will commit soon: let them join this batch and its sync.
        coming.wait(Instant::now() + COMMIT_DELAY);
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let conn = lock(conn);
        let outcome = run_batch(&conn, &mut batch);
        let mut touched: Vec<String> = batch
            .iter()
            .filter_map(|job| job.touches().map(str::to_string))
            .collect();
        touched.sort();
        touched.dedup();
        match &outcome {
            Ok(()) => {
                commits.fetch_add(1, Ordering::SeqCst);
                let rows = touched
                    .into_iter()
                    .map(|id| {
                        let row = reads::subscription(&conn, &id).ok().flatten();
                        (id, row)
                    })
                    .collect();
                cache.committed(rows);
            }
            Err(error) => {
                cache.forget(&touched);
                tracing::error!(%error, jobs = batch.len(), "store write batch failed");
            }
        }
        drop(conn);
        for job in batch {
            job.answer(&outcome);
        }
    }
}

/// Runs `batch` in one transaction and commits it.
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> StoreResult<()> {
    let failed = |e| StoreError(format!("write batch: {e}"));
    conn.execute_batch("BEGIN IMMEDIATE").map_err(failed)?;
    let outcome = batch
        .iter_mut()
        .try_for_each(|job| run_job(conn, job.as_mut()))
        .and_then(|()| conn.execute_batch("COMMIT").map_err(failed));
    if outcome.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    outcome
}

/// Runs one job in a savepoint: kept if it succeeded, rolled back alone if it failed.
fn run_job(conn: &Connection, job: &mut dyn Job) -> StoreResult<()> {
    let failed = |e| StoreError(format!("write batch: {e}"));
    // Prepared once per connection: parsing these took as long as a webhook's inserts.
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    run("SAVEPOINT job").map_err(failed)?;
    if job.run(conn) {
        return run("RELEASE job").map(drop).map_err(failed);
    }
    if conn.is_autocommit() {
        return Err(StoreError(
            "write batch: sqlite rolled the transaction back".into(),
        ));
    }
    run("ROLLBACK TO job")
        .and_then(|_| run("RELEASE job"))
        .map(drop)
        .map_err(failed)
}
