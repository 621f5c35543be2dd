//! The worker threads that run JavaScript, and the warm sandboxes each keeps. Each worker is an OS
//! thread with its own single-threaded tokio runtime. Invocations of one subscription always go to
//! the same worker, where its warm sandbox lives; each worker keeps a bounded LRU of warm
//! sandboxes, so idle subscriptions cost nothing. The service may also run other futures on a
//! worker's event loop ([`Runtime::spawn_on`]): a connection carrying a subscription's webhooks is
//! served beside the JS it calls, with no thread hand-off in between.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::connector::{Connector, ConnectorKey, ImplementationType, MethodDef};
use crate::declarative;
use crate::error::InvokeError;
use crate::idle_poll::IdlePoll;
use crate::limits::{Isolation, Limits};
use crate::sandbox::{Callee, Sandbox};
use crate::webhook::Webhook;
use host_api::LogEntry;
use host_api::http::Http;

/// Which method to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A method of `events/<event>/`.
    Event { event: String, method: String },
    /// A method of `global-webhooks/<webhook>/`.
    GlobalWebhook { webhook: String, method: String },
    /// The connector's `makeApiClient`.
    MakeApiClient,
}

impl Target {
    pub fn event(event: &str, method: &str) -> Self {
        Target::Event {
            event: event.to_string(),
            method: method.to_string(),
        }
    }

    /// The method key (`handle`, `subscribe`, ...).
    pub fn method(&self) -> &str {
        match self {
            Target::Event { method, .. } | Target::GlobalWebhook { method, .. } => method,
            Target::MakeApiClient => "makeApiClient",
        }
    }

    fn resolve<'c>(&self, connector: &'c Connector) -> Result<&'c MethodDef, InvokeError> {
        let found = match self {
            Target::Event { event, method } => connector.event_method(event, method),
            Target::GlobalWebhook { webhook, method } => connector
                .global_webhooks
                .get(webhook)
                .and_then(|hook| hook.methods.get(method))
                .ok_or_else(|| {
                    format!(
                        "connector '{}' has no global webhook '{webhook}' with method '{method}'",
                        connector.key
                    )
                }),
            Target::MakeApiClient => connector
                .make_api_client
                .as_ref()
                .ok_or_else(|| format!("connector '{}' has no makeApiClient", connector.key)),
        };
        found.map_err(InvokeError::NotFound)
    }
}

/// One method call.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub connector: Arc<Connector>,
    pub target: Target,
    /// The argument object (`parameters`, `state`, `data`, ...).
    pub args: serde_json::Value,
    /// The subscription the call belongs to: its warm sandbox is reused under
    /// [`Isolation::Subscription`]. `None` always gets a fresh sandbox.
    pub subscription: Option<String>,
    /// Overrides the method's deadline from [`Limits`].
    pub timeout: Option<Duration>,
    /// For `handle`: the request, whose members the sandbox adds to those of `args`.
    pub webhook: Option<Webhook>,
}

impl Invocation {
    /// The argument object as JSON, the webhook's members included.
    pub fn args_json(&self) -> std::borrow::Cow<'_, serde_json::Value> {
        match (&self.webhook, &self.args) {
            (Some(webhook), serde_json::Value::Object(args)) => {
                let mut args = args.clone();
                webhook.add_to(&mut args);
                std::borrow::Cow::Owned(serde_json::Value::Object(args))
            }
            _ => std::borrow::Cow::Borrowed(&self.args),
        }
    }
}

/// What an invocation produced, success or not, with its console output.
#[derive(Debug)]
pub struct Outcome {
    pub result: Result<serde_json::Value, InvokeError>,
    pub console: Vec<LogEntry>,
    /// Time spent on the worker, sandbox creation included.
    pub duration: Duration,
    /// Whether a warm sandbox served the call.
    pub warm: bool,
    /// Time between the call to [`Runtime::invoke`] and the start on a worker thread.
    pub queued: Duration,
}

struct Job {
    sent: Instant,
    invocation: Invocation,
    reply: oneshot::Sender<Outcome>,
}

/// What a worker's loop receives.
enum Work {
    Invoke(Box<Job>),
    /// A future to run on the worker's event loop ([`Runtime::spawn_on`]).
    Run(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>),
}

struct WorkerHandle {
    jobs: mpsc::UnboundedSender<Work>,
    /// Invocations sent and not yet answered.
    in_flight: Arc<AtomicUsize>,
    /// Invocations sent so far, counted after the send: an idle worker spins until it changes.
    sent: Arc<AtomicUsize>,
    /// How long the worker's last invocation took, in µs.
    last_micros: Arc<AtomicU64>,
}

/// The pool of JS worker threads. Cheap to share behind an `Arc`; dropping it lets the workers
/// finish the invocations in flight and exit.
pub struct Runtime {
    workers: Vec<WorkerHandle>,
    alive: Arc<AtomicUsize>,
    limits: Arc<Limits>,
    idle: Arc<OnceLock<IdleHook>>,
}

impl Runtime {
    /// Starts `limits.workers` worker threads.
    pub fn new(limits: Limits) -> std::io::Result<Self> {
        let limits = Arc::new(limits);
        let alive = Arc::new(AtomicUsize::new(0));
        let idle = Arc::new(OnceLock::new());
        let count = limits.workers.max(1);
        // Built once here so that a client that cannot be built fails `Runtime::new`; each worker
        // then builds its own, with a connection pool of its own on its own event loop.
        Http::new(limits.http.clone())?;
        let mut workers = Vec::with_capacity(count);
        for index in 0..count {
            let (jobs, receiver) = mpsc::unbounded_channel();
            let in_flight = Arc::new(AtomicUsize::new(0));
            let sent = Arc::new(AtomicUsize::new(0));
            let last_micros = Arc::new(AtomicU64::new(0));
            let shared = Shared {
                limits: limits.clone(),
                alive: alive.clone(),
                in_flight: in_flight.clone(),
                sent: sent.clone(),
                last_micros: last_micros.clone(),
                workers: count,
                idle: idle.clone(),
            };
            std::thread::Builder::new()
                .name(format!("js-worker-{index}"))
                .stack_size(limits.thread_stack)
                .spawn(move || worker_main(index, receiver, shared))?;
            workers.push(WorkerHandle {
                jobs,
                in_flight,
                sent,
                last_micros,
            });
        }
        Ok(Runtime {
            workers,
            alive,
            limits,
            idle,
        })
    }

    /// Sets what a worker calls each time it has run everything it can and is about to sleep
    /// (the service's store commits its waiting batch then). Only the first hook set is kept.
    pub fn on_idle(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.idle.set(Box::new(hook));
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The number of JS worker threads.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The worker that runs subscription `id`'s invocations, when its calls always go to one
    /// worker (subscription isolation); `None` when any worker may run them.
    pub fn worker_of(&self, id: &str) -> Option<usize> {
        (self.limits.isolation == Isolation::Subscription).then(|| {
            let mut hash = DefaultHasher::new();
            id.hash(&mut hash);
            (hash.finish() % self.workers.len() as u64) as usize
        })
    }

    /// Runs `future` on worker `index`'s event loop (modulo the number of workers), as a task of
    /// the same set as its invocations: an invocation it makes there, and its answer, pass from
    /// task to task without a system call. While that worker runs JS the future waits, so only
    /// work that would wait for that worker anyway belongs there. Dropped if the worker has ended.
    pub fn spawn_on<F>(&self, index: usize, future: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let worker = &self.workers[index % self.workers.len()];
        let _ = worker.jobs.send(Work::Run(Box::pin(future)));
    }

    /// Sandboxes alive right now, warm or busy.
    pub fn sandboxes_alive(&self) -> usize {
        self.alive.load(Ordering::Relaxed)
    }

    /// Runs one invocation on a worker thread.
    pub async fn invoke(&self, invocation: Invocation) -> Outcome {
        let (reply, answer) = oneshot::channel();
        let index = self.worker_for(&invocation);
        let worker = &self.workers[index];
        let lost = |error: InvokeError| Outcome {
            result: Err(error),
            console: Vec::new(),
            duration: Duration::ZERO,
            warm: false,
            queued: Duration::ZERO,
        };
        worker.in_flight.fetch_add(1, Ordering::Relaxed);
        if worker
            .jobs
            .send(Work::Invoke(Box::new(Job {
                sent: Instant::now(),
                invocation,
                reply,
            })))
            .is_err()
        {
            worker.in_flight.fetch_sub(1, Ordering::Relaxed);
            return lost(InvokeError::Engine(
                "the JS worker thread has stopped".into(),
            ));
        }
        worker.sent.fetch_add(1, Ordering::Release);
        // A caller on the worker itself (a connection served there) must not poll: the reply
        // can only come once it yields.
        let quick = may_spin()
            && WORKER_INDEX.get() != Some(index)
            && worker.last_micros.load(Ordering::Relaxed) < REPLY_SPIN.as_micros() as u64;
        let answer = if quick {
            spin_for_reply(answer).await
        } else {
            answer.await
        };
        answer.unwrap_or_else(|_| {
            lost(InvokeError::Engine(
                "the JS worker thread failed during the call".into(),
            ))
        })
    }

    /// A subscription's calls go where its warm sandbox lives; others go to the least busy worker,
    /// so a runaway invocation delays only the subscriptions that share its thread.
    fn worker_for(&self, invocation: &Invocation) -> usize {
        match invocation
            .subscription
            .as_deref()
            .and_then(|id| self.worker_of(id))
        {
            Some(index) => index,
            None => (0..self.workers.len())
                .min_by_key(|&i| self.workers[i].in_flight.load(Ordering::Relaxed))
                .unwrap_or(0),
        }
    }
}

/// How long a caller polls for a quick reply before it awaits (and its thread may sleep).
const REPLY_SPIN: Duration = Duration::from_micros(25);

/// Most warm invocations answer within microseconds; polling briefly for the reply saves the
/// caller's thread a sleep and wake-up that would cost more than the invocation. Callers poll only
/// when the worker's last invocation was that quick: on two cores, polling for a slow one would
/// take CPU from the very thread it waits for.
async fn spin_for_reply(
    mut answer: oneshot::Receiver<Outcome>,
) -> Result<Outcome, oneshot::error::RecvError> {
    let start = Instant::now();
    while start.elapsed() < REPLY_SPIN {
        match answer.try_recv() {
            Ok(outcome) => return Ok(outcome),
            Err(oneshot::error::TryRecvError::Empty) => std::hint::spin_loop(),
            Err(oneshot::error::TryRecvError::Closed) => break,
        }
    }
    answer.await
}

/// What a worker thread shares with the [`Runtime`] handle.
struct Shared {
    limits: Arc<Limits>,
    alive: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    sent: Arc<AtomicUsize>,
    last_micros: Arc<AtomicU64>,
    workers: usize,
    idle: Arc<OnceLock<IdleHook>>,
}

/// One future run by `spawn_on` counted as served until it ends, also by a panic.
struct Serving(Arc<AtomicUsize>);

impl Serving {
    fn count(serving: &Arc<AtomicUsize>) -> Serving {
        serving.fetch_add(1, Ordering::AcqRel);
        Serving(serving.clone())
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Called by a worker each time it has nothing left to run and is about to sleep.
type IdleHook = Box<dyn Fn() + Send + Sync>;

fn report_idle(hook: &OnceLock<IdleHook>) {
    if let Some(hook) = hook.get() {
        hook();
    }
}

/// How long an idle worker keeps polling for the next job before its thread sleeps. Waking a
/// sleeping thread costs tens of microseconds on a VM, more than a warm invocation itself.
const IDLE_SPIN: Duration = Duration::from_micros(50);

/// Spinning pays only when the thread it waits for runs on another core: on one core (a process
/// pinned with `taskset`, a one-CPU container) it takes the core from that very thread.
fn may_spin() -> bool {
    static MULTI_CORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MULTI_CORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

thread_local! {
    /// The index of the worker this thread is, if it is one.
    static WORKER_INDEX: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn worker_main(index: usize, mut jobs: mpsc::UnboundedReceiver<Work>, shared: Shared) {
    WORKER_INDEX.set(Some(index));
    let (spin_on, busy) = (shared.sent.clone(), shared.in_flight.clone());
    // Futures run here by `spawn_on` (connections) that have not ended.
    let serving = Arc::new(AtomicUsize::new(0));
    let idle_poll = Arc::new(IdlePoll::default());
    let poll_span = shared.limits.idle_poll;
    let polls = !poll_span.is_zero();
    // Before the event loop sleeps: the idle hook, then a poll (serving connections) or (on an
    // idle worker) a short spin.
    let before_sleep = {
        let serving = serving.clone();
        let idle = shared.idle.clone();
        let idle_poll = idle_poll.clone();
        move || {
            report_idle(&idle);
            if polls && serving.load(Ordering::Acquire) != 0 {
                idle_poll.before_sleep();
                return;
            }
            // A worker with invocations in flight is waiting for their I/O or timers, one serving
            // connections (polling off) for their sockets: wake-ups this spin cannot see, so it
            // sleeps at once.
            // Only an idle worker spins for the next job.
            let waiting = busy.load(Ordering::Acquire) != 0 || serving.load(Ordering::Acquire) != 0;
            if waiting || !may_spin() {
                return;
            }
            let seen = spin_on.load(Ordering::Acquire);
            let start = Instant::now();
            while spin_on.load(Ordering::Acquire) == seen && start.elapsed() < IDLE_SPIN {
                std::hint::spin_loop();
            }
        }
    };
    let built = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .on_thread_park(before_sleep)
        .build();
    let Ok(runtime) = built else {
        tracing::error!("cannot start a JS worker's event loop");
        return;
    };
    let local = tokio::task::LocalSet::new();
    let capacity = shared.limits.pool_capacity.div_ceil(shared.workers);
    let worker = Rc::new(Worker {
        http: Http::new(shared.limits.http.clone()).ok(),
        limits: shared.limits,
        alive: shared.alive,
        pool: RefCell::new(WarmPool::new(capacity)),
    });
    if polls {
        let (idle_poll, idle) = (idle_poll.clone(), shared.idle.clone());
        local.spawn_local(async move { idle_poll.run(poll_span, || report_idle(&idle)).await });
    }
    local.spawn_local(async move {
        while let Some(work) = jobs.recv().await {
            let job = match work {
                Work::Invoke(job) => job,
                Work::Run(future) => {
                    let serving = Serving::count(&serving);
                    tokio::task::spawn_local(async move {
                        future.await;
                        drop(serving);
                    });
                    continue;
                }
            };
            let (worker, in_flight) = (worker.clone(), shared.in_flight.clone());
            let last_micros = shared.last_micros.clone();
            tokio::task::spawn_local(async move {
                let mut outcome = worker.run(job.invocation).await;
                outcome.queued = job.sent.elapsed().saturating_sub(outcome.duration);
                let micros = u64::try_from(outcome.duration.as_micros()).unwrap_or(u64::MAX);
                last_micros.store(micros, Ordering::Relaxed);
                in_flight.fetch_sub(1, Ordering::Relaxed);
                let _ = job.reply.send(outcome);
            });
        }
        // The runtime handle is gone: the poller ends too, so the loop ends with the last
        // connection.
        idle_poll.close();
    });
    runtime.block_on(local);
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct SandboxKey {
    connector: ConnectorKey,
    subscription: String,
}

struct Worker {
    limits: Arc<Limits>,
    http: Option<Http>,
    alive: Arc<AtomicUsize>,
    pool: RefCell<WarmPool>,
}

impl Worker {
    async fn run(&self, invocation: Invocation) -> Outcome {
        let start = Instant::now();
        let mut console = Vec::new();
        let mut warm = false;
        let result = self.run_inner(&invocation, &mut console, &mut warm).await;
        Outcome {
            result,
            console,
            duration: start.elapsed(),
            warm,
            queued: Duration::ZERO,
        }
    }

    async fn run_inner(
        &self,
        invocation: &Invocation,
        console: &mut Vec<LogEntry>,
        warm: &mut bool,
    ) -> Result<serde_json::Value, InvokeError> {
        let method = invocation.target.resolve(&invocation.connector)?;
        let method_key = invocation.target.method();
        let connector = &invocation.connector;
        match (method.kind, method.file()) {
            (ImplementationType::Javascript, Some(file)) => {
                let callee = Callee::Method {
                    file,
                    method: method_key,
                };
                self.in_sandbox(invocation, callee, console, warm).await
            }
            (ImplementationType::Mapping, Some(file)) => {
                let timeout = invocation
                    .timeout
                    .unwrap_or_else(|| self.limits.timeout_for(method_key));
                declarative::mapping(connector, file, &invocation.args_json(), timeout)
            }
            (
                kind @ (ImplementationType::RestApiMapping | ImplementationType::GraphqlApiMapping),
                Some(file),
            ) => {
                let args = invocation.args_json();
                let request = declarative::request(kind, connector, file, &args)?;
                let callee = Callee::Request {
                    method: method_key,
                    request: &request,
                };
                let response = self.in_sandbox(invocation, callee, console, warm).await?;
                declarative::respond(kind, connector, file, &args, response)
            }
            (ImplementationType::NotSupported, _) => Err(InvokeError::Unsupported(format!(
                "method '{method_key}' is marked not-supported by the connector"
            ))),
            (kind, _) => Err(InvokeError::Unsupported(format!(
                "method '{method_key}' is implemented as {kind}, which this runtime does not run"
            ))),
        }
    }

    /// Runs `callee` in the invocation's sandbox: the subscription's warm one when it has one,
    /// else a fresh one, which is kept warm afterwards if it may be reused.
    async fn in_sandbox(
        &self,
        invocation: &Invocation,
        callee: Callee<'_>,
        console: &mut Vec<LogEntry>,
        warm: &mut bool,
    ) -> Result<serde_json::Value, InvokeError> {
        let key = self.sandbox_key(invocation);
        let taken = key
            .as_ref()
            .and_then(|k| self.pool.borrow_mut().take(k, &invocation.connector));
        *warm = taken.is_some();
        let mut sandbox = match taken {
            Some(sandbox) => sandbox,
            None => {
                let (connector, http) = (invocation.connector.clone(), self.http.clone());
                Sandbox::new(connector, &self.limits, http, self.alive.clone()).await?
            }
        };
        let timeout = invocation
            .timeout
            .unwrap_or_else(|| self.limits.timeout_for(invocation.target.method()));
        let result = sandbox
            .invoke(
                callee,
                &invocation.args,
                invocation.webhook.as_ref(),
                timeout,
            )
            .await;
        *console = sandbox.take_console();
        let reusable =
            result.is_ok() && sandbox.uses < self.limits.max_uses && sandbox.is_reusable().await;
        if let (Some(key), true) = (key, reusable) {
            self.pool.borrow_mut().put(key, sandbox);
        }
        result
    }

    fn sandbox_key(&self, invocation: &Invocation) -> Option<SandboxKey> {
        if self.limits.isolation == Isolation::Invocation {
            return None;
        }
        let subscription = invocation.subscription.clone()?;
        Some(SandboxKey {
            connector: invocation.connector.key.clone(),
            subscription,
        })
    }
}

/// Warm sandboxes of one worker, least recently used evicted first.
struct WarmPool {
    capacity: usize,
    tick: u64,
    entries: HashMap<SandboxKey, (Sandbox, u64)>,
    order: BTreeMap<u64, SandboxKey>,
}

impl WarmPool {
    fn new(capacity: usize) -> Self {
        WarmPool {
            capacity,
            tick: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    /// The warm sandbox of `key`, if it exists and was built from this very connector code.
    fn take(&mut self, key: &SandboxKey, connector: &Connector) -> Option<Sandbox> {
        let (sandbox, tick) = self.entries.remove(key)?;
        self.order.remove(&tick);
        (sandbox.connector().fingerprint() == connector.fingerprint()).then_some(sandbox)
    }

    fn put(&mut self, key: SandboxKey, sandbox: Sandbox) {
        if self.capacity == 0 {
            return;
        }
        if let Some((_, tick)) = self.entries.remove(&key) {
            self.order.remove(&tick);
        }
        while self.entries.len() >= self.capacity {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        self.tick += 1;
        self.order.insert(self.tick, key.clone());
        self.entries.insert(key, (sandbox, self.tick));
    }
}
