//! [`Callbacks`]: the named callbacks of a gateway, the execution mode, and the bounded
//! queue that runs fire-and-forget callbacks in the background.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};

use super::context::CallbackContext;
use super::definition::{Callback, Mode};
use super::engine::Prepared;

/// Responses waiting for their fire-and-forget callbacks, by default; one more is dropped
/// and counted.
pub const DEFAULT_QUEUE: usize = 1024;

/// Callbacks running at once from the queue, by default.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Threads running fire-and-forget scripts, by default.
pub const DEFAULT_SCRIPT_THREADS: usize = 2;

/// Why a set of callbacks could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two callbacks share a name.
    #[error("callback {0:?} is defined twice")]
    Duplicate(String),
    /// A callback is not usable (a script that does not compile, a bad URL or method).
    #[error("callback {name:?}: {message}")]
    Invalid {
        /// The callback.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A route names a callback that is not defined.
    #[error("callback {0:?} is not defined")]
    Unknown(String),
    /// A script thread could not be started.
    #[error("script threads: {0}")]
    Threads(String),
}

/// Counters of the callbacks run (read them for metrics).
#[derive(Debug, Default)]
pub struct Stats {
    /// Runs that succeeded (after retries).
    pub succeeded: AtomicU64,
    /// Runs that failed after every attempt.
    pub failed: AtomicU64,
    /// Responses whose fire-and-forget callbacks were dropped because the queue was full.
    pub dropped: AtomicU64,
    /// Responses a callback's filters kept from it.
    pub filtered: AtomicU64,
}

/// The callbacks a response runs, with what they receive.
struct Job {
    context: Arc<CallbackContext>,
    json: Bytes,
    callbacks: Vec<Arc<Prepared>>,
}

/// A response's fire-and-forget scripts, for the script threads.
struct ScriptJob {
    context: Arc<CallbackContext>,
    scripts: Vec<Arc<Prepared>>,
}

struct Inner {
    by_name: HashMap<String, Arc<Prepared>>,
    mode: Mode,
    /// HTTP and process callbacks, run as tasks.
    queue: mpsc::Sender<Job>,
    /// Scripts, run on dedicated threads (no task or blocking-pool hop per response).
    scripts: std::sync::mpsc::SyncSender<ScriptJob>,
    stats: Arc<Stats>,
}

/// The named callbacks (cheap to clone). Build once per gateway inside a Tokio runtime: the
/// queue's consumer is a task of that runtime.
#[derive(Clone)]
pub struct Callbacks(Arc<Inner>);

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.0.by_name.keys().collect();
        names.sort();
        f.debug_struct("Callbacks")
            .field("names", &names)
            .field("mode", &self.0.mode)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`Callbacks`] set.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How routes run their callbacks.
    pub mode: Mode,
    /// [`DEFAULT_QUEUE`].
    pub queue: usize,
    /// [`DEFAULT_CONCURRENCY`].
    pub concurrency: usize,
    /// [`DEFAULT_SCRIPT_THREADS`]: threads running fire-and-forget scripts (a script at its
    /// time limit holds one until then).
    pub script_threads: usize,
    /// TLS of HTTPS callbacks.
    pub tls: Arc<rustls::ClientConfig>,
}

impl Settings {
    /// Upstream's default mode, the default queue and concurrency, with `tls`.
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        Self {
            mode: Mode::default(),
            queue: DEFAULT_QUEUE,
            concurrency: DEFAULT_CONCURRENCY,
            script_threads: DEFAULT_SCRIPT_THREADS,
            tls,
        }
    }
}

impl Callbacks {
    /// Prepares `callbacks` (scripts compiled, URLs checked) and starts the queue's consumer.
    pub fn new(callbacks: Vec<Callback>, settings: Settings) -> Result<Self, BuildError> {
        let mut by_name = HashMap::new();
        for callback in callbacks {
            let name = callback.name.clone();
            let prepared =
                Prepared::new(callback, &settings.tls).map_err(|message| BuildError::Invalid {
                    name: name.clone(),
                    message,
                })?;
            if by_name.insert(name.clone(), Arc::new(prepared)).is_some() {
                return Err(BuildError::Duplicate(name));
            }
        }
        let stats = Arc::new(Stats::default());
        let (queue, jobs) = mpsc::channel(settings.queue.max(1));
        tokio::spawn(consume(jobs, settings.concurrency.max(1), stats.clone()));
        let scripts = start_script_threads(
            settings.queue.max(1),
            settings.script_threads.max(1),
            &stats,
        )?;
        Ok(Self(Arc::new(Inner {
            by_name,
            mode: settings.mode,
            queue,
            scripts,
            stats,
        })))
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.0.stats
    }

    /// The mode routes run in.
    pub fn mode(&self) -> Mode {
        self.0.mode
    }

    /// The callbacks a route names, in its order.
    pub fn select(&self, names: &[String]) -> Result<RouteCallbacks, BuildError> {
        let callbacks = names
            .iter()
            .map(|name| {
                self.0
                    .by_name
                    .get(name)
                    .cloned()
                    .ok_or_else(|| BuildError::Unknown(name.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(RouteCallbacks {
            set: self.clone(),
            callbacks,
        })
    }
}

/// A route's callbacks (cheap to clone); [`super::CallbackLayer`] runs them.
#[derive(Clone)]
pub struct RouteCallbacks {
    set: Callbacks,
    callbacks: Vec<Arc<Prepared>>,
}

impl std::fmt::Debug for RouteCallbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.callbacks.iter().map(|c| &c.callback.name))
            .finish()
    }
}

impl RouteCallbacks {
    /// Whether any callback would run for this response (the context is built only then).
    pub(crate) fn wanted(
        &self,
        method: &http::Method,
        status: u16,
        headers: &http::HeaderMap,
    ) -> Vec<Arc<Prepared>> {
        let mut out = Vec::new();
        for prepared in &self.callbacks {
            match prepared.callback.filters.check(method, status, headers) {
                Ok(()) => out.push(prepared.clone()),
                Err(_) => {
                    self.set.0.stats.filtered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        out
    }

    /// The mode of the set.
    pub(crate) fn mode(&self) -> Mode {
        self.set.0.mode
    }

    /// Queues `callbacks` with `context` (scripts to the script threads, the others to the
    /// task queue); a full queue drops them (counted).
    pub(crate) fn enqueue(&self, context: CallbackContext, callbacks: Vec<Arc<Prepared>>) {
        let inner = &self.set.0;
        let (scripts, others): (Vec<_>, Vec<_>) =
            callbacks.into_iter().partition(|c| c.is_script());
        let context = Arc::new(context);
        let mut full = false;
        if !scripts.is_empty() {
            let job = ScriptJob {
                context: context.clone(),
                scripts,
            };
            full |= inner.scripts.try_send(job).is_err();
        }
        if !others.is_empty() {
            full |= inner.queue.try_send(Job::new(context, others)).is_err();
        }
        if full {
            inner.stats.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("callback queue full; a response's callbacks were dropped");
        }
    }

    /// Runs `callbacks` now: all at once (`parallel`) or in order (`sequential`).
    pub(crate) async fn run_now(
        &self,
        context: CallbackContext,
        callbacks: Vec<Arc<Prepared>>,
        parallel: bool,
    ) {
        let job = Job::new(Arc::new(context), callbacks);
        let stats = self.set.0.stats.clone();
        if parallel {
            let mut runs = tokio::task::JoinSet::new();
            for c in &job.callbacks {
                runs.spawn(run_one(
                    c.clone(),
                    job.context.clone(),
                    job.json.clone(),
                    stats.clone(),
                ));
            }
            while runs.join_next().await.is_some() {}
        } else {
            for c in &job.callbacks {
                run_one(
                    c.clone(),
                    job.context.clone(),
                    job.json.clone(),
                    stats.clone(),
                )
                .await;
            }
        }
    }
}

impl Job {
    /// The job; the context is serialized only when a callback sends it.
    fn new(context: Arc<CallbackContext>, callbacks: Vec<Arc<Prepared>>) -> Self {
        let json = if callbacks.iter().all(|c| c.is_script()) {
            Bytes::new()
        } else {
            serde_json::to_vec(&*context)
                .map(Bytes::from)
                .unwrap_or_default()
        };
        Self {
            context,
            json,
            callbacks,
        }
    }
}

/// Starts `threads` threads sharing a queue of `capacity` script jobs; they end when the
/// set is dropped.
fn start_script_threads(
    capacity: usize,
    threads: usize,
    stats: &Arc<Stats>,
) -> Result<std::sync::mpsc::SyncSender<ScriptJob>, BuildError> {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<ScriptJob>(capacity);
    let receiver = Arc::new(std::sync::Mutex::new(receiver));
    for i in 0..threads {
        let receiver = receiver.clone();
        let stats = stats.clone();
        std::thread::Builder::new()
            .name(format!("myc-callback-script-{i}"))
            .spawn(move || script_thread(&receiver, &stats))
            .map_err(|e| BuildError::Threads(e.to_string()))?;
    }
    Ok(sender)
}

/// How long a script thread lets jobs gather after one arrived: under load it takes them in
/// batches instead of being woken for each response.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// Waits for a job, then keeps taking whatever gathered every [`GATHER`] until the queue
/// stays empty, then waits again.
fn script_thread(receiver: &std::sync::Mutex<std::sync::mpsc::Receiver<ScriptJob>>, stats: &Stats) {
    let run = |job: ScriptJob| {
        for script in &job.scripts {
            let outcome = script.run_script_here(&job.context);
            count(stats, &script.callback.name, outcome.unwrap_or(Ok(())));
        }
    };
    loop {
        let first = match receiver.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(first) = first else { return };
        run(first);
        loop {
            std::thread::sleep(GATHER);
            let batch: Vec<ScriptJob> = match receiver.lock() {
                Ok(queue) => queue.try_iter().collect(),
                Err(_) => return,
            };
            if batch.is_empty() {
                break;
            }
            batch.into_iter().for_each(run);
        }
    }
}

fn count(stats: &Stats, name: &str, outcome: Result<(), super::engine::CallbackError>) {
    match outcome {
        Ok(()) => {
            stats.succeeded.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            stats.failed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(callback = %name, error = %e, "callback failed");
        }
    }
}

/// Takes jobs off the queue, at most `concurrency` callbacks running at once.
async fn consume(mut jobs: mpsc::Receiver<Job>, concurrency: usize, stats: Arc<Stats>) {
    let permits = Arc::new(Semaphore::new(concurrency));
    while let Some(job) = jobs.recv().await {
        for callback in job.callbacks {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (context, json, stats) = (job.context.clone(), job.json.clone(), stats.clone());
            tokio::spawn(async move {
                run_one(callback, context, json, stats).await;
                drop(permit);
            });
        }
    }
}

async fn run_one(
    callback: Arc<Prepared>,
    context: Arc<CallbackContext>,
    json: Bytes,
    stats: Arc<Stats>,
) {
    let outcome = callback.run(&context, &json).await;
    count(&stats, &callback.callback.name, outcome);
}
