//! [`SqliteStore`]: the embedded [`Store`], one SQLite file in WAL mode with `synchronous=FULL`.
//! Writes go through one writer thread that group-commits (`writer.rs`); reads run on a small pool
//! of connections on blocking threads (`readers.rs`); a thread of its own checkpoints the WAL
//! (`checkpoint.rs`). Every connection goes through the store's VFS (`vfs.rs`: the WAL's commits
//! written directly, in one durable write), and the store holds `<file>.lock` against other
//! processes. The schema and its migrations are in `schema.rs`; the SQL in `reads.rs` and
//! `writes.rs`.

mod cache;
mod checkpoint;
mod readers;
mod reads;
mod rows;
mod schema;
mod vfs;
mod writer;
mod writes;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use self::cache::Cache;
use self::checkpoint::{Checkpointer, Thresholds};
use self::readers::Readers;
use self::writer::Writer;
use super::{
    Change, Expected, InvocationLog, Millis, NewEvent, Status, Store, StoreError, StoreResult,
    StoredEvent, Subscription, WebhookCommit,
};
use crate::app::now_millis;

/// Read connections of a file database.
const READERS: usize = 4;

/// The embedded store. Dropping it commits what is queued and waits for the writer thread.
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    cache: Arc<Cache>,
    /// A file database's (an in-memory one has no WAL).
    checkpointer: Mutex<Option<Checkpointer>>,
    /// A file database's lock against other processes (`vfs.rs` relies on it), held while open.
    _lock: Option<std::fs::File>,
}

impl SqliteStore {
    /// Opens (creating it and its directory if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        SqliteStore::open_with(path, Thresholds::default())
    }

    fn open_with(path: &Path, checkpoints: Thresholds) -> StoreResult<SqliteStore> {
        create_parent(path)?;
        let lock = lock(path)?;
        let failed = |e| StoreError(format!("open database {}: {e}", path.display()));
        let mut conn = connect(path).map_err(failed)?;
        schema::migrate(&mut conn)
            .map_err(|e| StoreError(format!("open database {}: {}", path.display(), e.0)))?;
        schema::enable_wal(&conn).map_err(failed)?;
        let checkpointer = Checkpointer::start(path, &mut conn, checkpoints)?;
        let readers = (0..READERS)
            .map(|_| reader(path))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(failed)?;
        let cache = Arc::new(Cache::default());
        Ok(SqliteStore {
            readers: Readers::new(readers),
            writer: Writer::start(Arc::new(Mutex::new(conn)), cache.clone())?,
            cache,
            checkpointer: Mutex::new(Some(checkpointer)),
            _lock: Some(lock),
        })
    }

    /// A private database in memory (for tests): one connection that the writer and readers share.
    #[cfg_attr(not(test), allow(dead_code))] // for tests of the layers above
    pub fn open_in_memory() -> StoreResult<SqliteStore> {
        let failed = |e| StoreError(format!("open database in memory: {e}"));
        let mut conn = Connection::open_in_memory().map_err(failed)?;
        schema::configure(&conn).map_err(failed)?;
        schema::migrate(&mut conn)?;
        let shared = Arc::new(Mutex::new(conn));
        let cache = Arc::new(Cache::default());
        Ok(SqliteStore {
            readers: Readers::new(vec![shared.clone()]),
            writer: Writer::start(shared, cache.clone())?,
            cache,
            checkpointer: Mutex::new(None),
            _lock: None,
        })
    }

    /// Write transactions committed since the store was opened (each may hold many writes).
    #[cfg_attr(not(test), allow(dead_code))] // for tests; a metric later
    pub fn commits(&self) -> u64 {
        self.writer.commits()
    }

    /// Refuses new reads and writes, commits what is queued and waits for the writer thread to end.
    /// Later calls fail with a [`StoreError`].
    pub async fn close(&self) {
        self.readers.close();
        self.cache.close();
        let writer = self.writer.stop();
        let checkpointer = writer::lock(&self.checkpointer).take();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(thread) = writer {
                let _ = thread.join();
            }
            // It ends once the writer's connection is closed.
            if let Some(checkpointer) = checkpointer {
                checkpointer.join();
            }
        })
        .await;
    }
}

fn create_parent(path: &Path) -> StoreResult<()> {
    match path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        Some(parent) => std::fs::create_dir_all(parent)
            .map_err(|e| StoreError(format!("create directory {}: {e}", parent.display()))),
        None => Ok(()),
    }
}

/// Takes `<path>.lock`: one process at a time may use the database. (The subscription cache and
/// the VFS's copy of the WAL assume that no other process writes it.) A separate file, because
/// closing any descriptor of the database would drop SQLite's own locks on it.
fn lock(path: &Path) -> StoreResult<std::fs::File> {
    use std::os::fd::AsRawFd;
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    let lock_path = std::path::PathBuf::from(name);
    let failed = |e| StoreError(format!("lock database {}: {e}", path.display()));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(failed)?;
    // SAFETY: flock on a descriptor this function owns.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Err(StoreError(format!(
                "database {} is in use by another process (it holds {}): is another \
                 `connector-runtime serve` using the same --data?",
                path.display(),
                lock_path.display()
            )));
        }
        return Err(failed(error));
    }
    Ok(file)
}

/// A configured connection to the file at `path`, through the store's VFS (`vfs.rs`).
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let vfs = vfs::register().map_err(|e| {
        rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(e),
        )
    })?;
    let conn = Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), vfs)?;
    schema::configure(&conn)?;
    Ok(conn)
}

/// A connection of the read pool: it cannot write.
fn reader(path: &Path) -> rusqlite::Result<writer::Shared> {
    let conn = connect(path)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(Arc::new(Mutex::new(conn)))
}

impl Store for SqliteStore {
    fn insert_subscription(
        &self,
        subscription: Subscription,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        self.writer
            .write(Some(subscription.id.clone()), move |conn| {
                writes::insert_subscription(conn, &subscription)
            })
    }

    fn subscription(
        &self,
        id: &str,
    ) -> impl Future<Output = StoreResult<Option<Subscription>>> + Send {
        let cached = self.cache.get(id);
        let commits = self.cache.commits();
        let id = id.to_owned();
        let read = self
            .readers
            .read(move |conn| reads::subscription(conn, &id));
        let cache = self.cache.clone();
        async move {
            if cached.is_some() {
                return Ok(cached);
            }
            let row = read.await?;
            if let Some(row) = &row {
                cache.fill(commits, row);
            }
            Ok(row)
        }
    }

    fn subscriptions(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send {
        let after = after.map(str::to_owned);
        self.readers
            .read(move |conn| reads::subscriptions(conn, after.as_deref(), limit))
    }

    fn update_subscription(
        &self,
        id: &str,
        change: Change,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        let id = id.to_owned();
        self.writer.write(Some(id.clone()), move |conn| {
            writes::update_subscription(conn, &id, &change, now_millis())
        })
    }

    fn commit_webhook(
        &self,
        commit: WebhookCommit,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send + 'static {
        let touches = commit
            .state
            .as_ref()
            .map(|_| commit.subscription_id.clone());
        self.writer.enqueue(touches, move |conn| {
            writes::commit_webhook(conn, &commit, now_millis())
        })
    }

    fn expect_commit(&self) -> Expected {
        Expected::counting(self.writer.coming())
    }

    fn workers_idle(&self) {
        self.writer.coming().idle();
    }

    fn commit_events(
        &self,
        events: Vec<NewEvent>,
    ) -> impl Future<Output = StoreResult<Vec<i64>>> + Send {
        self.writer
            .enqueue(None, move |conn| writes::commit_events(conn, &events))
    }

    fn subscriptions_for_selector(
        &self,
        connector: &str,
        key: &str,
        selector: &str,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send {
        let (connector, key, selector) =
            (connector.to_owned(), key.to_owned(), selector.to_owned());
        self.readers
            .read(move |conn| reads::subscriptions_for_selector(conn, &connector, &key, &selector))
    }

    fn subscriptions_with_status(
        &self,
        status: Status,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send {
        self.readers
            .read(move |conn| reads::subscriptions_with_status(conn, status, limit))
    }

    fn status_counts(&self) -> impl Future<Output = StoreResult<Vec<(Status, u64)>>> + Send {
        self.readers.read(reads::status_counts)
    }

    fn append_log(&self, log: InvocationLog) -> impl Future<Output = StoreResult<()>> + Send {
        self.writer
            .write(None, move |conn| writes::append_log(conn, &log))
    }

    fn prune_logs(
        &self,
        before: Millis,
        limit: usize,
    ) -> impl Future<Output = StoreResult<usize>> + Send {
        self.writer
            .write(None, move |conn| writes::prune_logs(conn, before, limit))
    }

    fn prune_events(
        &self,
        before: Millis,
        delivered: Option<i64>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<usize>> + Send {
        self.writer.write(None, move |conn| {
            writes::prune_events(conn, before, delivered, limit)
        })
    }

    fn cursor(&self, name: &str) -> impl Future<Output = StoreResult<Option<i64>>> + Send {
        let name = name.to_owned();
        self.readers.read(move |conn| reads::cursor(conn, &name))
    }

    fn set_cursor(&self, name: &str, value: i64) -> impl Future<Output = StoreResult<()>> + Send {
        let name = name.to_owned();
        self.writer
            .write(None, move |conn| writes::set_cursor(conn, &name, value))
    }

    fn logs(
        &self,
        subscription_id: &str,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<InvocationLog>>> + Send {
        let id = subscription_id.to_owned();
        self.readers.read(move |conn| reads::logs(conn, &id, limit))
    }

    fn events_after(
        &self,
        cursor: i64,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<StoredEvent>>> + Send {
        self.readers
            .read(move |conn| reads::events_after(conn, cursor, limit))
    }

    fn due_refreshes(
        &self,
        now: Millis,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send {
        self.readers
            .read(move |conn| reads::due_refreshes(conn, now, limit))
    }

    fn next_refresh_at(&self) -> impl Future<Output = StoreResult<Option<Millis>>> + Send {
        self.readers.read(reads::next_refresh_at)
    }
}
