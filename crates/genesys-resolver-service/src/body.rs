//! Reading a request body: bounded in size, memory and time, and fair between callers.
//!
//! - **Size**: at most `max_body_bytes`; a `Content-Length` above it is refused before anything
//!   is read.
//! - **Memory**: the first [`FREE_BYTES`] of a body are read without a slot (a payload is a few
//!   hundred bytes; that much costs no more than a connection's own read buffer), so a small
//!   body that has arrived is read at once, whoever else is sending. Beyond that a body needs
//!   one of `max_bodies_reading` slots, of which one caller holds at most
//!   `max_bodies_per_caller`: its other bodies wait for its own slots, not for others'.
//! - **Time**: the whole body within `body_timeout`, counting any wait for a slot; no pause
//!   longer than `body_stall`; and `body_min_rate` bytes a second on average beyond a
//!   `body_stall` allowance (a body of `n` bytes has `body_stall + n / body_min_rate`, plus its
//!   wait for a slot). A slot holder that has sent nothing for [`STALLED`] while another body
//!   waits for a slot is cut at once: bodies that are arriving do not queue behind stalled
//!   ones. Each of these ends in 408.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::header;
use http_body_util::BodyExt;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::caller::{Caller, CallerPermit, PerCaller};
use crate::config::ServiceSettings;

/// Bytes of a body read without a slot.
pub(crate) const FREE_BYTES: usize = 16 * 1024;

/// A slot holder silent this long is stalled: it is cut when another body waits for a slot.
pub(crate) const STALLED: Duration = Duration::from_secs(1);

/// Why a body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over `max_body_bytes` (declared or sent): 413.
    TooLarge,
    /// A pause longer than `body_stall` (or [`STALLED`] while others wait for a slot), or
    /// slower than `body_min_rate`: 408.
    TooSlow,
    /// Not complete within `body_timeout`: 408.
    Deadline,
    /// The connection failed or closed mid-body: 400.
    Unreadable,
}

/// The body slots: `max_bodies_reading` in all, `max_bodies_per_caller` for each caller.
#[derive(Debug)]
pub(crate) struct BodySlots {
    all: Arc<Semaphore>,
    per_caller: Arc<PerCaller>,
    /// Bodies waiting for a slot.
    waiting: AtomicUsize,
    /// Woken when a body starts waiting, so that stalled holders can be cut.
    wanted: Notify,
}

/// A body slot, given back when dropped.
#[derive(Debug)]
struct Slot {
    _own: CallerPermit,
    _all: OwnedSemaphorePermit,
}

/// Counts a waiting body until dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl BodySlots {
    /// `all` slots, at most `per_caller` of them for one caller.
    pub(crate) fn new(all: usize, per_caller: usize) -> Self {
        Self {
            all: Arc::new(Semaphore::new(all.max(1))),
            per_caller: PerCaller::new(per_caller.min(all)),
            waiting: AtomicUsize::new(0),
            wanted: Notify::new(),
        }
    }

    /// A slot for `caller`: its own share first, then one of all. Cancel-safe.
    async fn acquire(&self, caller: Caller) -> Option<Slot> {
        if let Some(own) = self.per_caller.try_acquire(caller)
            && let Ok(all) = self.all.clone().try_acquire_owned()
        {
            return Some(Slot {
                _own: own,
                _all: all,
            });
        }
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        self.wanted.notify_waiters();
        let own = self.per_caller.acquire(caller).await?;
        let all = self.all.clone().acquire_owned().await.ok()?;
        Some(Slot {
            _own: own,
            _all: all,
        })
    }
}

/// Reads `request`'s body for `caller` under `settings`' limits (see the [module docs](self)).
pub(crate) async fn read(
    request: Request,
    caller: Caller,
    slots: &BodySlots,
    settings: &ServiceSettings,
) -> Result<Bytes, BodyError> {
    let max = settings.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if declared.is_some_and(|n| n > max) {
        return Err(BodyError::TooLarge);
    }
    let mut body: Body = request.into_body();
    let start = Instant::now();
    let deadline = start + settings.body_timeout;
    let per_byte = 1.0 / settings.body_min_rate.max(1) as f64;
    let mut buf: Vec<u8> = Vec::with_capacity(declared.unwrap_or(0).min(FREE_BYTES));
    let mut slot: Option<Slot> = None;
    // Time spent waiting for a slot: not the sender's.
    let mut waited = Duration::ZERO;
    let mut last = start;
    loop {
        // A body read to its end needs no slot, however large its last frame was.
        if body.is_end_stream() {
            break;
        }
        if slot.is_none() && buf.len() >= FREE_BYTES {
            let asked = Instant::now();
            let Ok(Some(got)) = tokio::time::timeout_at(deadline, slots.acquire(caller)).await
            else {
                return Err(BodyError::Deadline);
            };
            slot = Some(got);
            last = Instant::now();
            waited += last - asked;
            if let Some(n) = declared {
                buf.reserve(n.saturating_sub(buf.len()));
            }
        }
        // Registered before `waiting` is read, so a body that starts waiting after that wakes
        // this one.
        let wanted = slots.wanted.notified();
        tokio::pin!(wanted);
        wanted.as_mut().enable();
        let pause = if slot.is_some() && slots.waiting.load(Ordering::Acquire) > 0 {
            STALLED.min(settings.body_stall)
        } else {
            settings.body_stall
        };
        let by_rate = start
            + waited
            + settings.body_stall
            + Duration::from_secs_f64(buf.len() as f64 * per_byte);
        let until = deadline.min(by_rate).min(last + pause);
        tokio::select! {
            biased;
            frame = tokio::time::timeout_at(until, body.frame()) => match frame {
                Err(_) if until >= deadline => return Err(BodyError::Deadline),
                Err(_) => return Err(BodyError::TooSlow),
                Ok(None) => break,
                Ok(Some(Err(_))) => return Err(BodyError::Unreadable),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data()
                        && !data.is_empty()
                    {
                        if buf.len() + data.len() > max {
                            return Err(BodyError::TooLarge);
                        }
                        buf.extend_from_slice(&data);
                        last = Instant::now();
                    }
                }
            },
            // Another body waits for a slot: look again at how long this one may pause.
            () = &mut wanted, if slot.is_some() => {}
        }
    }
    drop(slot);
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ServiceSettings {
        ServiceSettings {
            body_timeout: Duration::from_secs(30),
            body_stall: Duration::from_secs(5),
            ..ServiceSettings::unauthenticated()
        }
    }

    /// A body fed through a channel, ending when the sender is dropped.
    struct Fed(tokio::sync::mpsc::Receiver<Bytes>);

    impl HttpBody for Fed {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
            self.0
                .poll_recv(cx)
                .map(|b| b.map(|b| Ok(hyper::body::Frame::data(b))))
        }
    }

    /// A request whose body is fed by the returned sender.
    fn streamed(len: usize) -> (Request, tokio::sync::mpsc::Sender<Bytes>) {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
        let request = Request::builder()
            .header(header::CONTENT_LENGTH, len)
            .body(Body::new(Fed(rx)))
            .unwrap();
        (request, tx)
    }

    #[tokio::test(start_paused = true)]
    async fn a_small_body_needs_no_slot() {
        let slots = BodySlots::new(1, 1);
        let _taken = slots.acquire(Caller::Token(9)).await.unwrap();
        let request = Request::builder()
            .header(header::CONTENT_LENGTH, 2)
            .body(Body::from("{}"))
            .unwrap();
        let body = read(request, Caller::Token(0), &slots, &settings()).await;
        assert_eq!(body.unwrap(), Bytes::from_static(b"{}"));
    }

    #[tokio::test(start_paused = true)]
    async fn declared_or_sent_bodies_over_the_limit_are_refused() {
        let slots = BodySlots::new(4, 4);
        let s = ServiceSettings {
            max_body_bytes: 10,
            ..settings()
        };
        let (request, _tx) = streamed(11);
        assert_eq!(
            read(request, Caller::Token(0), &slots, &s).await,
            Err(BodyError::TooLarge)
        );
        let request = Request::builder().body(Body::from("0123456789ab")).unwrap();
        assert_eq!(
            read(request, Caller::Token(0), &slots, &s).await,
            Err(BodyError::TooLarge)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_or_trickling_body_is_cut_long_before_the_deadline() {
        let slots = BodySlots::new(4, 4);
        let (request, tx) = streamed(1000);
        tx.send(Bytes::from_static(b"{\"na")).await.unwrap();
        let start = Instant::now();
        let got = read(request, Caller::Token(0), &slots, &settings()).await;
        assert_eq!(got, Err(BodyError::TooSlow));
        assert_eq!(start.elapsed(), Duration::from_secs(5), "the stall limit");

        // A byte every 4 s never pauses 5 s, but falls below 1 KiB/s after the allowance.
        let (request, tx) = streamed(1000);
        tokio::spawn(async move {
            while tx.send(Bytes::from_static(b" ")).await.is_ok() {
                tokio::time::sleep(Duration::from_secs(4)).await;
            }
        });
        let start = Instant::now();
        let got = read(request, Caller::Token(0), &slots, &settings()).await;
        assert_eq!(got, Err(BodyError::TooSlow));
        assert!(
            start.elapsed() < Duration::from_secs(6),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_slot_holder_is_cut_when_another_body_waits() {
        let slots = Arc::new(BodySlots::new(1, 1));
        let s = Arc::new(settings());
        // A large body: the free bytes, then a few more, then silence; it holds the only slot.
        let (request, tx) = streamed(200_000);
        tx.send(Bytes::from(vec![b' '; FREE_BYTES + 10]))
            .await
            .unwrap();
        let stalled = {
            let (slots, s) = (slots.clone(), s.clone());
            tokio::spawn(async move { read(request, Caller::Token(0), &slots, &s).await })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(!stalled.is_finished(), "alone, a 2 s pause is allowed");
        // Another caller's large body, all there (in two frames, so that it needs a slot):
        // it gets the slot at once.
        let (request, whole) = streamed(100_000);
        whole
            .send(Bytes::from(vec![b' '; FREE_BYTES]))
            .await
            .unwrap();
        whole
            .send(Bytes::from(vec![b' '; 100_000 - FREE_BYTES]))
            .await
            .unwrap();
        drop(whole);
        let start = Instant::now();
        let got = read(request, Caller::Token(1), &slots, &s).await;
        assert_eq!(got.unwrap().len(), 100_000);
        assert!(
            start.elapsed() < Duration::from_millis(10),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(stalled.await.unwrap(), Err(BodyError::TooSlow));
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn one_caller_holds_at_most_its_share_of_slots() {
        let slots = Arc::new(BodySlots::new(4, 2));
        let s = Arc::new(ServiceSettings {
            body_stall: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
            body_min_rate: 1,
            ..settings()
        });
        let mut senders = Vec::new();
        let mut readers = Vec::new();
        for _ in 0..3 {
            let (request, tx) = streamed(FREE_BYTES * 4);
            tx.send(Bytes::from(vec![b' '; FREE_BYTES])).await.unwrap();
            senders.push(tx);
            let (slots, s) = (slots.clone(), s.clone());
            readers.push(tokio::spawn(async move {
                read(request, Caller::Token(0), &slots, &s).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            slots.all.available_permits(),
            2,
            "token 0 holds two of four"
        );
        assert_eq!(slots.waiting.load(Ordering::Acquire), 1, "its third waits");
        for r in &readers {
            r.abort();
        }
    }
}
