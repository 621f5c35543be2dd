//! Every sandbox limit and pool setting in one place, with the documented defaults. The service and
//! the CLI build one `Limits` and hand it to [`crate::Runtime::new`].

use std::time::Duration;

use host_api::http::HttpLimits;

/// Whether successive invocations of one subscription may share a warm sandbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Isolation {
    /// One warm sandbox per subscription, reused across its invocations (as a warm Lambda is).
    #[default]
    Subscription,
    /// A fresh sandbox for every invocation; nothing survives from one call to the next.
    Invocation,
}

impl std::str::FromStr for Isolation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "subscription" => Ok(Isolation::Subscription),
            "invocation" => Ok(Isolation::Invocation),
            other => Err(format!(
                "unknown isolation '{other}': expected 'subscription' or 'invocation'"
            )),
        }
    }
}

/// Limits of every sandbox and of the pool that keeps them warm.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Wall-clock and CPU deadline of a `handle` invocation. Default 10 s.
    pub handle_timeout: Duration,
    /// Deadline of every other method (`subscribe`, `refresh`, `unsubscribe`, ...). Default 30 s.
    pub method_timeout: Duration,
    /// Heap limit of one sandbox, in bytes. Default 64 MiB.
    pub memory: usize,
    /// JS stack limit of one sandbox, in bytes. Default 512 KiB (QuickJS ignores values above 16 MiB,
    /// so larger values are clamped). Worker threads get [`Limits::thread_stack`].
    pub stack: usize,
    /// Native stack of each worker thread. Default 8 MiB, well above `stack`.
    pub thread_stack: usize,
    /// Invocations one warm sandbox serves before it is replaced. Default 10 000.
    pub max_uses: u32,
    /// Warm sandboxes kept across all workers; the least recently used goes first. Default 1024.
    pub pool_capacity: usize,
    /// Threads that run JavaScript. Default: the number of CPUs.
    pub workers: usize,
    /// Default [`Isolation::Subscription`].
    pub isolation: Isolation,
    /// How long a worker serving connections keeps polling for work, with nothing to run, before
    /// its thread sleeps (see `idle_poll.rs`). Default 200 µs; zero sleeps at once.
    pub idle_poll: Duration,
    /// Outgoing requests (`apiClient`, `fetch`): timeout 30 s, responses up to 16 MiB, 5 redirects.
    pub http: HttpLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handle_timeout: Duration::from_secs(10),
            method_timeout: Duration::from_secs(30),
            memory: 64 << 20,
            stack: 512 << 10,
            thread_stack: 8 << 20,
            max_uses: 10_000,
            pool_capacity: 1024,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            isolation: Isolation::Subscription,
            idle_poll: Duration::from_micros(200),
            http: HttpLimits::default(),
        }
    }
}

impl Limits {
    /// The deadline of one invocation of `method`.
    pub fn timeout_for(&self, method: &str) -> Duration {
        if method == "handle" {
            self.handle_timeout
        } else {
            self.method_timeout
        }
    }

    /// Sets both deadlines at once, as `--timeout-ms` does.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.handle_timeout = timeout;
        self.method_timeout = timeout;
        self
    }

    pub(crate) fn js_stack(&self) -> usize {
        self.stack.clamp(64 << 10, 16 << 20)
    }
}
