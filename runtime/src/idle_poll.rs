//! Polling before sleeping. A worker that serves connections goes idle between a webhook's answer
//! and the client's next request, and while the store syncs the webhooks it has handled. If its
//! thread sleeps then, the core sleeps too, and on a VM waking a sleeping core costs tens of
//! microseconds and CPU of its own, on the path of every request. So when its event loop is about
//! to sleep, such a worker first keeps polling it, without sleeping, until
//! [`Limits::idle_poll`](crate::Limits::idle_poll) has passed with nothing to run (Seastar's idle
//! poll does the same). Each turn also offers the core to any other thread ready to run (the
//! store's writer, finishing a sync), so polling never holds up the work it waits for, also on a
//! single core. Measured on the 2-core VM at 16 connections on one subscription: 5–10 % more
//! webhooks a second in paired runs, 0.95–0.97× → 1.01–1.04× Node in bench/webhooks.sh.
//!
//! The worker's idle hook is called when the loop would sleep; a poll keeps the loop awake, so the
//! poll calls the hook itself each time the work that came up while it polled has all run (the
//! store's group commit is waiting for exactly that).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// A turn of the poll longer than this ran other work in between (or the thread was preempted).
const OTHERS_RAN: Duration = Duration::from_micros(20);

/// One worker's poller: started by the event loop's park hook, run as a task of the worker.
#[derive(Default)]
pub(crate) struct IdlePoll {
    start: Notify,
    /// The last poll ended with nothing to run: the next sleep is for real.
    rested: AtomicBool,
    closing: AtomicBool,
}

impl IdlePoll {
    /// Called where the event loop is about to sleep: starts a poll, which keeps the loop awake,
    /// unless a poll has just ended in vain.
    pub(crate) fn before_sleep(&self) {
        if !self.rested.swap(false, Ordering::AcqRel) {
            self.start.notify_one();
        }
    }

    /// Ends [`IdlePoll::run`].
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
        self.start.notify_one();
    }

    /// The poll task: each time it is started, turns the event loop until `span` passes with
    /// nothing else run, calling `idle` whenever what ran meanwhile is done.
    pub(crate) async fn run(&self, span: Duration, idle: impl Fn()) {
        loop {
            self.start.notified().await;
            if self.closing.load(Ordering::Acquire) {
                return;
            }
            let mut last = Instant::now();
            let mut quiet_since = last;
            let mut others_ran = false;
            while !self.closing.load(Ordering::Acquire) {
                // The event loop polls its sockets and timers without sleeping and runs what they
                // made ready; then the core goes to any other thread ready to run.
                tokio::task::yield_now().await;
                std::thread::yield_now();
                let now = Instant::now();
                if now - last > OTHERS_RAN {
                    others_ran = true;
                    quiet_since = now;
                } else if others_ran {
                    others_ran = false;
                    idle();
                } else if now - quiet_since >= span {
                    break;
                }
                last = now;
            }
            self.rested.store(true, Ordering::Release);
        }
    }
}
