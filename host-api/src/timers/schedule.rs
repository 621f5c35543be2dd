//! The schedule of one context's timers: ids by deadline, and no JS value at all (callbacks live
//! in JS, in the `Timeout` objects), so nothing here can keep the engine's objects alive. Equal
//! deadlines fire in creation order; an interval is off the queue while its callback runs.

use std::cell::{RefCell, RefMut};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// Shared by a context's timer globals, its `Timeout` objects and its driver.
#[derive(Clone, Default)]
pub(super) struct Timers(Rc<Shared>);

#[derive(Default)]
struct Shared {
    schedule: RefCell<Schedule>,
    /// Wakes the driver when the schedule changes.
    changed: Notify,
}

#[derive(Default)]
struct Schedule {
    /// `(deadline, creation sequence) → id`.
    queue: BTreeMap<(Instant, u64), u32>,
    timers: HashMap<u32, Entry>,
    next_id: u32,
    next_seq: u64,
    /// Whether a driver future is spawned.
    driving: bool,
}

struct Entry {
    /// Where the timer sits in `queue`; `None` while an interval's callback runs.
    key: Option<(Instant, u64)>,
    delay: Duration,
    repeat: bool,
}

impl Timers {
    fn schedule(&self) -> RefMut<'_, Schedule> {
        self.0.schedule.borrow_mut()
    }

    pub(super) fn next_id(&self) -> u32 {
        let mut schedule = self.schedule();
        schedule.next_id = schedule.next_id.wrapping_add(1).max(1);
        schedule.next_id
    }

    /// Schedules timer `id` (new, or fired and refreshed) `delay` from now, and wakes the driver.
    pub(super) fn insert(&self, id: u32, delay: Duration, repeat: bool) {
        let mut schedule = self.schedule();
        schedule.remove(id);
        let entry = Entry {
            key: None,
            delay,
            repeat,
        };
        schedule.timers.insert(id, entry);
        schedule.arm(id);
        drop(schedule);
        self.0.changed.notify_one();
    }

    /// Forgets timer `id` and wakes the driver, which ends if nothing is left.
    pub(super) fn cancel(&self, id: u32) {
        self.schedule().remove(id);
        self.0.changed.notify_one();
    }

    /// Puts an interval back in the queue after its callback ran (unless it was cleared meanwhile).
    pub(super) fn rearm(&self, id: u32) {
        self.schedule().arm(id);
    }

    /// Marks the driver running; false if one already is.
    pub(super) fn start_driving(&self) -> bool {
        !std::mem::replace(&mut self.schedule().driving, true)
    }

    /// The next deadline, or `None` after marking the driver stopped when no timer is left.
    pub(super) fn next_deadline_or_stop(&self) -> Option<Instant> {
        let mut schedule = self.schedule();
        let next = schedule.queue.first_key_value().map(|(key, _)| key.0);
        schedule.driving = next.is_some();
        next
    }

    pub(super) fn is_idle(&self) -> bool {
        self.schedule().queue.is_empty()
    }

    /// Resolves when the schedule changed since the last time it resolved.
    pub(super) async fn changed(&self) {
        self.0.changed.notified().await;
    }

    /// The first timer due at `now` and whether it repeats, taken off the queue.
    pub(super) fn pop_due(&self, now: Instant) -> Option<(u32, bool)> {
        self.schedule().pop_due(now)
    }
}

impl Schedule {
    /// Queues timer `id` `delay` from now (no-op if it is gone or already queued).
    fn arm(&mut self, id: u32) {
        let seq = self.next_seq;
        let Some(entry) = self.timers.get_mut(&id).filter(|e| e.key.is_none()) else {
            return;
        };
        let key = (Instant::now() + entry.delay, seq);
        entry.key = Some(key);
        self.queue.insert(key, id);
        self.next_seq += 1;
    }

    fn remove(&mut self, id: u32) {
        if let Some(Entry { key: Some(key), .. }) = self.timers.remove(&id) {
            self.queue.remove(&key);
        }
    }

    /// Takes the first due timer off the queue; forgets it unless it repeats.
    fn pop_due(&mut self, now: Instant) -> Option<(u32, bool)> {
        let (&key, &id) = self
            .queue
            .first_key_value()
            .filter(|(key, _)| key.0 <= now)?;
        self.queue.remove(&key);
        let repeat = self.timers.get(&id).is_some_and(|entry| entry.repeat);
        if repeat {
            if let Some(entry) = self.timers.get_mut(&id) {
                entry.key = None;
            }
        } else {
            self.timers.remove(&id);
        }
        Some((id, repeat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn equal_deadlines_pop_in_creation_order_and_intervals_come_back() {
        let timers = Timers::default();
        let (a, b, c) = (timers.next_id(), timers.next_id(), timers.next_id());
        timers.insert(a, Duration::ZERO, false);
        timers.insert(b, Duration::ZERO, true);
        timers.insert(c, Duration::from_secs(60), false);
        let now = Instant::now();
        assert_eq!(timers.pop_due(now), Some((a, false)));
        assert_eq!(timers.pop_due(now), Some((b, true)));
        assert_eq!(timers.pop_due(now), None);
        timers.rearm(b);
        timers.cancel(b);
        timers.rearm(b);
        timers.cancel(c);
        assert!(timers.is_idle());
        assert!(timers.start_driving());
        assert!(!timers.start_driving());
        assert_eq!(timers.next_deadline_or_stop(), None);
        assert!(timers.start_driving());
    }
}
