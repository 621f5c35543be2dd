//! Subscriptions as last committed, by id, so that a webhook finds its subscription without a read
//! (a blocking-thread hop, a SQLite query and four JSON columns parsed). The writer thread, the only
//! one that changes rows, publishes the row of every subscription a batch touched once the batch is
//! committed and before its callers hear so. A read that missed fills the cache only if no batch
//! committed while it read: its row might already be stale. Both happen under one mutex, so a stale
//! row never lands after a fresh one.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::store::Subscription;

/// Rows kept at most; beyond, an arbitrary row makes room (its next webhook pays one read).
const CAPACITY: usize = 4096;

#[derive(Default)]
pub(super) struct Cache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Batches committed so far.
    commits: u64,
    /// The store closed: nothing is answered from here any more.
    closed: bool,
    rows: HashMap<String, Subscription>,
}

impl Cache {
    /// The committed row of `id`, when cached.
    pub(super) fn get(&self, id: &str) -> Option<Subscription> {
        let inner = self.inner.lock().ok()?;
        if inner.closed {
            return None;
        }
        inner.rows.get(id).cloned()
    }

    /// The store closed: reads go to the (closed) database and fail as it does.
    pub(super) fn close(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.closed = true;
            inner.rows.clear();
        }
    }

    /// The commit count to pass to [`Cache::fill`] after reading.
    pub(super) fn commits(&self) -> u64 {
        self.inner.lock().map_or(u64::MAX, |inner| inner.commits)
    }

    /// Keeps a row read from the database, unless a batch committed since `commits_before`.
    pub(super) fn fill(&self, commits_before: u64, row: &Subscription) {
        if let Ok(mut inner) = self.inner.lock()
            && inner.commits == commits_before
            && !inner.closed
        {
            insert(&mut inner.rows, row.clone());
        }
    }

    /// A batch committed: its touched rows as they now are (`None`: gone or unreadable).
    pub(super) fn committed(&self, touched: Vec<(String, Option<Subscription>)>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.commits += 1;
        for (id, row) in touched {
            match row {
                Some(row) => insert(&mut inner.rows, row),
                None => _ = inner.rows.remove(&id),
            }
        }
    }

    /// A batch failed: what it touched is read again next time.
    pub(super) fn forget(&self, ids: &[String]) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.commits += 1;
            for id in ids {
                inner.rows.remove(id);
            }
        }
    }
}

fn insert(rows: &mut HashMap<String, Subscription>, row: Subscription) {
    if rows.len() >= CAPACITY
        && !rows.contains_key(&row.id)
        && let Some(evicted) = rows.keys().next().cloned()
    {
        rows.remove(&evicted);
    }
    rows.insert(row.id.clone(), row);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::tests::subscription;

    #[test]
    fn a_read_that_raced_a_commit_is_not_kept() {
        let cache = Cache::default();
        let before = cache.commits();
        let mut fresh = subscription("s1");
        fresh.state = serde_json::json!({ "n": 2 });
        cache.committed(vec![("s1".into(), Some(fresh.clone()))]);
        cache.fill(before, &subscription("s1"));
        assert_eq!(cache.get("s1"), Some(fresh), "the stale read lost");
        cache.forget(&["s1".to_string()]);
        assert_eq!(cache.get("s1"), None);
        let now = cache.commits();
        cache.fill(now, &subscription("s1"));
        assert_eq!(cache.get("s1"), Some(subscription("s1")));
        cache.committed(vec![("s1".into(), None)]);
        assert_eq!(cache.get("s1"), None, "a row gone is gone from the cache");
    }

    #[test]
    fn a_full_cache_makes_room_for_one_row_at_a_time() {
        let cache = Cache::default();
        let rows = (0..=CAPACITY)
            .map(|i| (format!("s{i}"), Some(subscription(&format!("s{i}")))))
            .collect();
        cache.committed(rows);
        let kept = (0..=CAPACITY)
            .filter(|i| cache.get(&format!("s{i}")).is_some())
            .count();
        assert_eq!(kept, CAPACITY);
        assert!(
            cache.get(&format!("s{CAPACITY}")).is_some(),
            "the newest row is in"
        );
    }
}
