//! Running a batch of files: at most `concurrency` at once, a progress bar on stderr when it is
//! a terminal, and a clean stop on Ctrl-C or SIGTERM: the first signal starts nothing new and
//! lets the items in flight finish; a second abandons them (their futures are dropped, which
//! the core's resolve and deploy futures allow; an abandoned item's outcome is unknown).

use std::future::Future;
use std::io::IsTerminal;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::signal::unix::{SignalKind, signal};

/// What became of one item.
#[derive(Debug)]
pub(crate) enum Slot<R> {
    /// It ran to the end.
    Done(R),
    /// It was never started (the batch was interrupted first).
    NotStarted,
    /// It was in flight when a second signal abandoned it: its outcome is unknown.
    Abandoned,
}

/// The outcome of a batch: one slot per item, in input order.
#[derive(Debug)]
pub(crate) struct Outcome<R> {
    pub(crate) slots: Vec<Slot<R>>,
    /// Whether a signal stopped the batch.
    pub(crate) interrupted: bool,
}

/// Ctrl-C and SIGTERM, as one stream of stop requests.
struct Stops {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Stops {
    fn new() -> Self {
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn next(&mut self) {
        let interrupt = async {
            match &mut self.interrupt {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let terminate = async {
            match &mut self.terminate {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupt => {}
            () = terminate => {}
        }
    }
}

/// Runs `work` on every item, at most `concurrency` at once; `label` names the work on the
/// progress bar.
pub(crate) async fn run<I, R, F, Fut>(
    items: Vec<I>,
    concurrency: usize,
    label: &str,
    work: F,
) -> Outcome<R>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = R>,
{
    let total = items.len();
    let mut stops = Stops::new();
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());

    let mut slots: Vec<Slot<R>> = (0..total).map(|_| Slot::NotStarted).collect();
    let mut started = vec![false; total];
    let mut pending = items.into_iter().enumerate();
    let mut running = FuturesUnordered::new();
    let work = &work;
    let mut stopping = false;
    let mut interrupted = false;
    loop {
        while !stopping && running.len() < concurrency.max(1) {
            let Some((i, item)) = pending.next() else {
                break;
            };
            started[i] = true;
            running.push(async move { (i, work(item).await) });
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            Some((i, result)) = running.next() => {
                slots[i] = Slot::Done(result);
                bar.inc(1);
            }
            () = stops.next() => {
                interrupted = true;
                if stopping {
                    bar.println("interrupted again: abandoning the items in flight");
                    break;
                }
                stopping = true;
                let message = format!(
                    "interrupted: starting nothing new; waiting for {} in flight (interrupt again to abandon them)",
                    running.len()
                );
                if bar.is_hidden() {
                    eprintln!("{message}");
                } else {
                    bar.println(message);
                }
            }
        }
    }
    drop(running);
    bar.finish_and_clear();
    for (slot, started) in slots.iter_mut().zip(started) {
        if started && matches!(slot, Slot::NotStarted) {
            *slot = Slot::Abandoned;
        }
    }
    Outcome { slots, interrupted }
}
