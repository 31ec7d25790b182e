//! Requests of concurrent callers handled together: a bounded queue and worker tasks that each take every
//! request waiting (up to a group's size) and hand them to one handler call, so the per-statement and
//! per-commit costs are paid once per group. Each caller waits for its own answer, with a deadline.

use futures::future::BoxFuture;
use payments_domain::StoreError;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Handles one group; answers one result per request, in order.
pub(crate) type Handler<Req, Resp> =
    Arc<dyn Fn(Vec<Req>) -> BoxFuture<'static, Result<Vec<Resp>, StoreError>> + Send + Sync>;

/// How a [`Batcher`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// How many groups are handled at once.
    pub workers: u32,
    /// Most requests in one group.
    pub max_group: usize,
    /// Most requests waiting; past it a request is refused at once ([`StoreError::Unavailable`]).
    pub capacity: usize,
    /// How long a caller waits for its answer before giving up ([`StoreError::Unavailable`]; the request
    /// may still be handled, all or nothing).
    pub deadline: Duration,
}

struct Job<Req, Resp> {
    request: Req,
    reply: oneshot::Sender<Result<Resp, StoreError>>,
}

/// Tells which answers bring a follow-up request from the same caller soon (see [`Batcher::expecting`]).
pub(crate) type FollowUp<Resp> = fn(&Resp) -> bool;

/// A bounded queue of requests and its workers. The workers start with the first request, on that caller's
/// runtime, and start again on a later caller's runtime if theirs has stopped.
pub(crate) struct Batcher<Req, Resp> {
    name: &'static str,
    options: BatchOptions,
    handler: Handler<Req, Resp>,
    follow_up: Option<(FollowUp<Resp>, Duration)>,
    queue: Mutex<Option<mpsc::Sender<Job<Req, Resp>>>>,
}

impl<Req, Resp> std::fmt::Debug for Batcher<Req, Resp> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("name", &self.name)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<Req: Send + 'static, Resp: Send + 'static> Batcher<Req, Resp> {
    pub(crate) fn new(name: &'static str, options: BatchOptions, handler: Handler<Req, Resp>) -> Self {
        Self { name, options, handler, follow_up: None, queue: Mutex::new(None) }
    }

    /// Answers that `follow_up` picks bring another request from their caller soon (a load, then its commit):
    /// after a group, a worker waits up to `linger` for as many requests as it gave such answers before it
    /// takes the next group, so that they go together instead of trickling into groups of their own.
    pub(crate) fn expecting(mut self, follow_up: FollowUp<Resp>, linger: Duration) -> Self {
        self.follow_up = Some((follow_up, linger));
        self
    }

    /// Queues every request (each may go into another group) and waits for all answers, in order.
    /// Errors: [`StoreError::Unavailable`] when the queue is full, or no answer came within the deadline.
    pub(crate) async fn run(&self, requests: Vec<Req>) -> Result<Vec<Resp>, StoreError> {
        let queue = self.queue();
        let mut answers = Vec::with_capacity(requests.len());
        for request in requests {
            let (reply, answer) = oneshot::channel();
            queue.try_send(Job { request, reply }).map_err(|error| match error {
                mpsc::error::TrySendError::Full(_) => StoreError::Unavailable(format!(
                    "the {} queue is full ({} waiting)",
                    self.name, self.options.capacity
                )),
                mpsc::error::TrySendError::Closed(_) => {
                    StoreError::Unavailable(format!("the {} workers stopped", self.name))
                }
            })?;
            answers.push(answer);
        }
        let deadline = self.options.deadline;
        let wait = futures::future::join_all(answers);
        let answers = tokio::time::timeout(deadline, wait).await.map_err(|_| {
            StoreError::Unavailable(format!("no {} answer within {} ms", self.name, deadline.as_millis()))
        })?;
        answers
            .into_iter()
            .map(|answer| {
                answer.unwrap_or_else(|_| {
                    Err(StoreError::Unavailable(format!("the {} worker stopped", self.name)))
                })
            })
            .collect()
    }

    /// The queue, with workers running on this runtime if none are.
    fn queue(&self) -> mpsc::Sender<Job<Req, Resp>> {
        let mut slot = self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match slot.as_ref() {
            Some(queue) if !queue.is_closed() => queue.clone(),
            _ => {
                if slot.is_some() {
                    tracing::warn!(
                        queue = self.name,
                        "the workers stopped with their runtime; starting new ones"
                    );
                }
                let queue = self.start();
                *slot = Some(queue.clone());
                queue
            }
        }
    }

    fn start(&self) -> mpsc::Sender<Job<Req, Resp>> {
        let (sender, receiver) = mpsc::channel(self.options.capacity.max(1));
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        for _ in 0..self.options.workers.max(1) {
            let (receiver, handler) = (Arc::clone(&receiver), Arc::clone(&self.handler));
            tokio::spawn(work(receiver, handler, self.options, self.follow_up));
        }
        sender
    }
}

/// Takes every waiting job (waiting for the first, and for the follow-ups the last group's answers promise,
/// up to their linger), handles them as one group, and again, until the queue closes.
async fn work<Req, Resp>(
    receiver: Arc<tokio::sync::Mutex<mpsc::Receiver<Job<Req, Resp>>>>,
    handler: Handler<Req, Resp>,
    options: BatchOptions,
    follow_up: Option<(FollowUp<Resp>, Duration)>,
) {
    let max_group = options.max_group.max(1);
    let mut expected = 0;
    loop {
        let jobs = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else { return };
            let mut jobs = vec![first];
            if let Some((_, linger)) = follow_up.filter(|_| expected > 1) {
                let until = tokio::time::Instant::now() + linger;
                while jobs.len() < expected.min(max_group) {
                    match tokio::time::timeout_at(until, receiver.recv()).await {
                        Ok(Some(job)) => jobs.push(job),
                        _ => break,
                    }
                }
            }
            while jobs.len() < max_group {
                match receiver.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        let (requests, replies): (Vec<Req>, Vec<_>) =
            jobs.into_iter().map(|job| (job.request, job.reply)).unzip();
        let count = requests.len();
        // A group that takes longer than a caller may wait is abandoned (with its connection, so the database
        // ends its transaction, all or nothing): one stuck group holds the queue no longer than that.
        let handled = tokio::time::timeout(options.deadline, handler(requests)).await.unwrap_or_else(|_| {
            Err(StoreError::Unavailable(format!(
                "the group took longer than {} ms",
                options.deadline.as_millis()
            )))
        });
        match handled {
            Ok(answers) if answers.len() == count => {
                expected =
                    follow_up.map_or(0, |(brings, _)| answers.iter().filter(|answer| brings(answer)).count());
                for (reply, answer) in replies.into_iter().zip(answers) {
                    // The caller may have stopped waiting: the answer stands either way.
                    let _ = reply.send(Ok(answer));
                }
            }
            Ok(answers) => {
                let message = format!("{} answers for {count} requests", answers.len());
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Unknown(anyhow::anyhow!(message.clone()))));
                }
            }
            Err(error) => {
                for reply in replies {
                    let _ = reply.send(Err(copy(&error)));
                }
            }
        }
    }
}

/// The same failure again, for each member of a group.
fn copy(error: &StoreError) -> StoreError {
    match error {
        StoreError::Unavailable(reason) => StoreError::Unavailable(reason.clone()),
        StoreError::Unknown(error) => StoreError::Unknown(anyhow::anyhow!("{error:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn options() -> BatchOptions {
        BatchOptions { workers: 1, max_group: 64, capacity: 100, deadline: Duration::from_secs(5) }
    }

    /// A handler that doubles each number, counting its calls, after `delay`.
    fn doubling(calls: Arc<AtomicUsize>, delay: Duration) -> Handler<u32, u32> {
        Arc::new(move |group: Vec<u32>| {
            calls.fetch_add(1, Ordering::Relaxed);
            async move {
                tokio::time::sleep(delay).await;
                Ok(group.into_iter().map(|n| n * 2).collect())
            }
            .boxed()
        })
    }

    #[tokio::test]
    async fn requests_waiting_together_are_handled_in_one_group_and_each_gets_its_answer() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batcher =
            Arc::new(Batcher::new("test", options(), doubling(calls.clone(), Duration::from_millis(50))));
        let callers: Vec<_> = (0..20u32)
            .map(|n| {
                let batcher = batcher.clone();
                tokio::spawn(async move { batcher.run(vec![n]).await })
            })
            .collect();
        for (n, caller) in callers.into_iter().enumerate() {
            assert_eq!(caller.await.unwrap().unwrap(), vec![n as u32 * 2]);
        }
        assert!(
            calls.load(Ordering::Relaxed) < 20,
            "{} groups for 20 requests",
            calls.load(Ordering::Relaxed)
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let options = BatchOptions { capacity: 2, ..options() };
        let batcher =
            Arc::new(Batcher::new("test", options, doubling(Arc::default(), Duration::from_secs(1))));
        let slow = {
            let batcher = batcher.clone();
            tokio::spawn(async move { batcher.run(vec![1]).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = batcher.run(vec![1, 2, 3]).await;
        assert!(
            matches!(refused, Err(StoreError::Unavailable(ref reason)) if reason.contains("full")),
            "{refused:?}"
        );
        slow.abort();
    }

    #[tokio::test]
    async fn a_caller_waits_no_longer_than_the_deadline() {
        let options = BatchOptions { deadline: Duration::from_millis(100), ..options() };
        let batcher = Batcher::new("test", options, doubling(Arc::default(), Duration::from_secs(10)));
        let started = std::time::Instant::now();
        let late = batcher.run(vec![1]).await;
        assert!(
            matches!(late, Err(StoreError::Unavailable(ref reason)) if reason.contains("within")),
            "{late:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_group_that_hangs_is_abandoned_at_the_deadline_and_the_next_one_is_handled() {
        let options = BatchOptions { deadline: Duration::from_millis(200), ..options() };
        let hanging_once = Arc::new(AtomicUsize::new(0));
        let calls = hanging_once.clone();
        let handler: Handler<u32, u32> = Arc::new(move |group: Vec<u32>| {
            let first = calls.fetch_add(1, Ordering::Relaxed) == 0;
            async move {
                if first {
                    std::future::pending::<()>().await;
                }
                Ok(group)
            }
            .boxed()
        });
        let batcher = Batcher::new("test", options, handler);
        let started = std::time::Instant::now();
        assert!(matches!(batcher.run(vec![1]).await, Err(StoreError::Unavailable(_))));
        assert_eq!(batcher.run(vec![2]).await.unwrap(), vec![2], "the worker moved on");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[test]
    fn the_workers_start_again_when_the_runtime_that_started_them_is_gone() {
        let batcher = Batcher::new("test", options(), doubling(Arc::default(), Duration::ZERO));
        let first = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        assert_eq!(first.block_on(batcher.run(vec![1])).unwrap(), vec![2]);
        drop(first);
        let second = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        assert_eq!(second.block_on(batcher.run(vec![2])).unwrap(), vec![4]);
    }
}
