//! Polling before sleeping. A worker that serves connections goes idle between a webhook's answer
//! and the client's next request, and while the store syncs the webhooks it has handled. If its
//! thread sleeps then, the core sleeps too, and on a VM waking a sleeping core costs tens of
//! microseconds and CPU of its own, on the path of every request. So when its event loop is about
//! to sleep, such a worker first keeps polling it, without sleeping, until the polling has used
//! [`Limits::idle_poll`](crate::Limits::idle_poll) with nothing to run (Seastar's idle poll does
//! the same). Each turn also yields the core (`sched_yield`), so a thread ready to run on it (the
//! store's writer, finishing a sync) gets it instead of waiting behind the poll, also on a
//! single core. Measured on the 2-core VM at 16 connections on one subscription: 5–10 % more
//! webhooks a second in paired runs, 0.95–0.97× → 0.97–1.04× Node in bench/webhooks.sh.
//!
//! A poll is bounded by the CPU it spends, not by the clock: it ends once its own turns have used
//! `idle_poll` of the thread's CPU with nothing else run in between. Time the thread spends off the
//! core (the writer committing, another process) costs the poll nothing, so a contended core or a
//! CPU quota sees at most that much spent per idle moment, however long the poll lasts.
//!
//! The worker's idle hook is called when the loop would sleep; a poll keeps the loop awake, so the
//! poll calls the hook itself at each turn that found nothing to run (the store's group commit waits
//! for exactly that; the hook is an atomic swap when nothing changed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// A turn that used more of the thread's CPU than this ran other work of the loop.
const WORK: Duration = Duration::from_micros(20);

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

    /// The poll task: each time it is started, turns the event loop until its turns have spent
    /// `budget` of CPU with nothing else run, calling `idle` at each turn that found nothing.
    pub(crate) async fn run(&self, budget: Duration, idle: impl Fn()) {
        loop {
            self.start.notified().await;
            if self.closing.load(Ordering::Acquire) {
                return;
            }
            let mut spent = Duration::ZERO;
            // Without the thread's CPU clock nothing bounds a poll: the thread sleeps at once.
            let mut cpu = thread_cpu();
            while let Some(last) = cpu
                && spent < budget
                && !self.closing.load(Ordering::Acquire)
            {
                // The event loop polls its sockets and timers without sleeping and runs what they
                // made ready; then the thread yields the core (`sched_yield`) to whichever thread is
                // ready to run on it, such as the store's writer at the end of a sync.
                tokio::task::yield_now().await;
                std::thread::yield_now();
                cpu = thread_cpu();
                let Some(now) = cpu else { break };
                let turn = now.saturating_sub(last);
                if turn > WORK {
                    spent = Duration::ZERO;
                } else {
                    spent += turn;
                    idle();
                }
            }
            self.rested.store(true, Ordering::Release);
        }
    }
}

/// The CPU time the calling thread has used, if the platform can say.
fn thread_cpu() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill, and lives through it.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0 {
        return None;
    }
    Some(Duration::new(
        u64::try_from(now.tv_sec).ok()?,
        u32::try_from(now.tv_nsec).ok()?,
    ))
}
