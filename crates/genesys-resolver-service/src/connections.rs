//! The open connections, and which of them to let go when there are too many.
//!
//! Every accepted connection has an entry saying whether a request is being handled on it, since
//! when it has been idle (accepted, or its last request answered), and whether it has carried
//! a request that passed authentication. A connection that is idle or still sending a request
//! head costs the service little and is all an attacker's idle or slow connection can be, so:
//!
//! - at the cap, the service lets go of the oldest such connections (a small batch, as nginx
//!   drains its reusable connections) instead of refusing the new one; connections that have
//!   carried an authenticated request go after all the others. A connection let go before its
//!   first request was answered is told `503` with `Retry-After` (plain HTTP).
//! - when every connection is busy with a request, a new one takes a place in the reserve, above
//!   the cap, where only `/healthz` and `/metrics*` are served; only when the reserve is full
//!   too (and none of it idle) is a new connection refused.
//! - a connection is let go when it has been idle, or sending a request head, for longer than
//!   the header timeout, counted from its start or its last answer (hyper's own header timer
//!   stays as a backstop); under pressure (more than half the cap open) for less: from the
//!   header timeout at half the cap down to a tenth of it (one second at least) at the cap.
//!   The table is looked over four times a second.
//!
//! Nothing here is touched on a request's way except two atomics; the table's lock is taken when
//! a connection opens or closes and when connections are let go.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::caller::{Caller, CallerPermit, PerCaller};

/// What a connection refused or let go at the cap is told before the close (plain HTTP only,
/// and only before its first request was answered).
pub(crate) const BUSY_ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\
Content-Type: application/json\r\nContent-Length: 102\r\nConnection: close\r\n\r\n\
{\"kind\":\"overloaded\",\"limit\":\"RESOLVER_MAX_CONNECTIONS\",\"message\":\"too many connections; retry later\"}";

/// Why a connection is let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum LetGo {
    /// The cap was reached (or descriptors ran out) and it was among the cheapest to lose.
    Cap = 1,
    /// Under pressure, it was idle (or sending its head) longer than the shortened timeout.
    Timeout = 2,
    /// The service is shutting down and it was idle.
    Shutdown = 3,
}

/// One open connection.
#[derive(Debug)]
pub(crate) struct Conn {
    peer: SocketAddr,
    reserved: bool,
    epoch: Instant,
    /// Milliseconds from `epoch` to when it last became idle.
    since_ms: AtomicU64,
    busy: AtomicBool,
    /// It has carried a request that passed authentication.
    proven: AtomicBool,
    /// It has had a request answered.
    served: AtomicBool,
    /// Why it is let go (a [`LetGo`]), 0 while it is not.
    let_go: AtomicU8,
    signal: Notify,
    /// The caller its requests come from, with the caller's connection permit.
    caller: Mutex<Option<(Caller, CallerPermit)>>,
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

impl Conn {
    /// The caller's address.
    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Whether it is in the reserve (`/healthz` and `/metrics*` only).
    pub(crate) fn reserved(&self) -> bool {
        self.reserved
    }

    /// Completes when the connection is to be let go.
    pub(crate) async fn let_go(&self) {
        let notified = self.signal.notified();
        if self.let_go.load(Ordering::Acquire) != 0 {
            return;
        }
        notified.await;
    }

    /// Whether the client is to be told 503 as it is let go: let go at the cap before its first
    /// request was answered, with no request being handled.
    pub(crate) fn tells_why(&self) -> bool {
        self.let_go.load(Ordering::Acquire) == LetGo::Cap as u8
            && !self.served.load(Ordering::Acquire)
            && !self.busy.load(Ordering::Acquire)
    }

    /// Marks a request as being handled until the guard is dropped.
    pub(crate) fn begin_request(self: &Arc<Self>) -> Busy {
        self.busy.store(true, Ordering::Release);
        Busy(self.clone())
    }

    /// Counts the connection as `caller`'s (once per caller: a connection whose requests keep
    /// coming from the same caller costs nothing after the first). `false` when the caller
    /// holds all the connections `limit` allows it; the connection stays as it was.
    pub(crate) fn attribute(&self, caller: Caller, limit: &Arc<PerCaller>) -> bool {
        let mut held = self.caller.lock().unwrap_or_else(PoisonError::into_inner);
        if held.as_ref().is_some_and(|(c, _)| *c == caller) {
            return true;
        }
        let Some(permit) = limit.try_acquire(caller) else {
            return false;
        };
        *held = Some((caller, permit));
        self.proven.store(true, Ordering::Release);
        true
    }
}

/// A request being handled on a connection; when dropped, the connection is idle again.
#[derive(Debug)]
pub(crate) struct Busy(Arc<Conn>);

impl Drop for Busy {
    fn drop(&mut self) {
        let conn = &self.0;
        conn.since_ms
            .store(millis_since(conn.epoch), Ordering::Release);
        conn.served.store(true, Ordering::Release);
        conn.busy.store(false, Ordering::Release);
    }
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    open: HashMap<u64, Arc<Conn>>,
    /// Connections under the cap not being let go.
    normal: usize,
    /// Connections in the reserve not being let go.
    reserved: usize,
    /// Connections let go whose sockets are not closed yet.
    closing: usize,
}

/// How many connections were let go or refused since the last report.
#[derive(Debug, Default)]
struct Counts {
    at_cap: AtomicU64,
    timed_out: AtomicU64,
    refused: AtomicU64,
}

/// The table of open connections.
#[derive(Debug)]
pub(crate) struct Connections {
    cap: usize,
    reserve: usize,
    header_timeout: Duration,
    epoch: Instant,
    table: Mutex<Table>,
    counts: Counts,
    /// Woken when a connection that was let go has closed.
    closed: Notify,
}

/// A connection's place in the table, given up when dropped.
#[derive(Debug)]
pub(crate) struct Registered {
    connections: Arc<Connections>,
    id: u64,
    conn: Arc<Conn>,
}

impl Registered {
    /// The connection.
    pub(crate) fn conn(&self) -> &Arc<Conn> {
        &self.conn
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut table = self.connections.lock();
        table.open.remove(&self.id);
        if self.conn.let_go.load(Ordering::Acquire) == 0 {
            if self.conn.reserved {
                table.reserved -= 1;
            } else {
                table.normal -= 1;
            }
        } else {
            table.closing -= 1;
            self.connections.closed.notify_waiters();
        }
    }
}

impl Connections {
    /// A table for `cap` connections plus `reserve`, with `header_timeout` as the idle and
    /// header time when not under pressure.
    pub(crate) fn new(cap: usize, reserve: usize, header_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            cap: cap.max(1),
            reserve,
            header_timeout,
            epoch: Instant::now(),
            table: Mutex::new(Table::default()),
            counts: Counts::default(),
            closed: Notify::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many connections are let go at once at the cap: enough that the next few accepts
    /// need not look for more, few enough that a burst does not empty the table.
    fn batch(&self) -> usize {
        (self.cap / 64).clamp(1, 32)
    }

    /// Takes a new connection from `peer`: under the cap; at the cap after letting go of the
    /// cheapest connections; in the reserve when every connection is busy. `None` when even the
    /// reserve is full of busy connections.
    pub(crate) fn admit(self: &Arc<Self>, peer: SocketAddr) -> Option<Registered> {
        let mut table = self.lock();
        let reserved = if table.normal < self.cap
            || self.let_go_cheapest(&mut table, self.batch(), false, LetGo::Cap) > 0
        {
            false
        } else if table.reserved < self.reserve
            || self.let_go_cheapest(&mut table, 1, true, LetGo::Cap) > 0
        {
            true
        } else {
            self.counts.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        if reserved {
            table.reserved += 1;
        } else {
            table.normal += 1;
        }
        let id = table.next_id;
        table.next_id += 1;
        let conn = Arc::new(Conn {
            peer,
            reserved,
            epoch: self.epoch,
            since_ms: AtomicU64::new(millis_since(self.epoch)),
            busy: AtomicBool::new(false),
            proven: AtomicBool::new(false),
            served: AtomicBool::new(false),
            let_go: AtomicU8::new(0),
            signal: Notify::new(),
            caller: Mutex::new(None),
        });
        table.open.insert(id, conn.clone());
        Some(Registered {
            connections: self.clone(),
            id,
            conn,
        })
    }

    /// Marks `conn` to be let go for `why` (unless it is already) and wakes its task.
    fn let_go_locked(&self, table: &mut Table, conn: &Conn, why: LetGo) -> bool {
        if conn
            .let_go
            .compare_exchange(0, why as u8, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        if conn.reserved {
            table.reserved -= 1;
        } else {
            table.normal -= 1;
        }
        table.closing += 1;
        conn.signal.notify_one();
        let count = match why {
            LetGo::Cap => &self.counts.at_cap,
            LetGo::Timeout => &self.counts.timed_out,
            LetGo::Shutdown => return true,
        };
        count.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Lets go of up to `n` idle connections of the cap (or of the reserve), the ones that have
    /// not carried an authenticated request first, each group oldest first.
    fn let_go_cheapest(&self, table: &mut Table, n: usize, reserve: bool, why: LetGo) -> usize {
        let mut candidates: Vec<(bool, u64, u64)> = table
            .open
            .iter()
            .filter(|(_, c)| {
                c.reserved == reserve
                    && c.let_go.load(Ordering::Acquire) == 0
                    && !c.busy.load(Ordering::Acquire)
            })
            .map(|(id, c)| {
                (
                    c.proven.load(Ordering::Acquire),
                    c.since_ms.load(Ordering::Acquire),
                    *id,
                )
            })
            .collect();
        if candidates.len() > n {
            candidates.select_nth_unstable(n);
            candidates.truncate(n);
        }
        let mut done = 0;
        for (_, _, id) in candidates {
            if let Some(conn) = table.open.get(&id).cloned()
                && self.let_go_locked(table, &conn, why)
            {
                done += 1;
            }
        }
        done
    }

    /// Waits while the connections' descriptors (open ones, and those let go but not closed
    /// yet) fill the cap and the reserve and some are closing: accepting now would hold more
    /// descriptors than the caps allow. Returns at once otherwise.
    pub(crate) async fn descriptors_free(&self) {
        loop {
            let closed = self.closed.notified();
            tokio::pin!(closed);
            closed.as_mut().enable();
            {
                let table = self.lock();
                let in_use = table.normal + table.reserved + table.closing;
                if table.closing == 0 || in_use < self.cap + self.reserve {
                    return;
                }
            }
            // A let-go connection closes within moments; the timeout only guards the wait.
            let _ = tokio::time::timeout(Duration::from_millis(10), closed).await;
        }
    }

    /// Lets go of a batch of idle connections because the process ran out of descriptors.
    pub(crate) fn let_go_for_descriptors(&self) -> usize {
        let mut table = self.lock();
        let n = self.batch();
        self.let_go_cheapest(&mut table, n, false, LetGo::Cap)
            + self.let_go_cheapest(&mut table, n, true, LetGo::Cap)
    }

    /// Lets go of every idle connection (at shutdown).
    pub(crate) fn let_go_idle(&self) {
        let mut table = self.lock();
        let idle: Vec<Arc<Conn>> = table
            .open
            .values()
            .filter(|c| !c.busy.load(Ordering::Acquire))
            .cloned()
            .collect();
        for conn in idle {
            self.let_go_locked(&mut table, &conn, LetGo::Shutdown);
        }
    }

    /// The idle and header time with `open` connections under the cap: the header timeout up
    /// to half the cap, then less, down to a tenth of it (one second at least) at the cap.
    pub(crate) fn idle_timeout(&self, open: usize) -> Duration {
        let full = self.header_timeout;
        let least = (full / 10).max(full.min(Duration::from_secs(1)));
        let pressure = (open as f64 / self.cap as f64 - 0.5).clamp(0.0, 0.5) * 2.0;
        full.saturating_sub(full.saturating_sub(least).mul_f64(pressure))
    }

    /// Lets go of the connections idle (or sending their head) longer than
    /// [`idle_timeout`](Self::idle_timeout) allows now. Returns how many.
    pub(crate) fn sweep(&self) -> usize {
        let mut table = self.lock();
        let timeout = u64::try_from(self.idle_timeout(table.normal).as_millis()).unwrap_or(0);
        let now = millis_since(self.epoch);
        let stale: Vec<Arc<Conn>> = table
            .open
            .values()
            .filter(|c| {
                !c.busy.load(Ordering::Acquire)
                    && now.saturating_sub(c.since_ms.load(Ordering::Acquire)) > timeout
            })
            .cloned()
            .collect();
        stale
            .iter()
            .filter(|c| self.let_go_locked(&mut table, c, LetGo::Timeout))
            .count()
    }

    /// Connections open (under the cap, and in the reserve), not counting those being let go.
    pub(crate) fn open(&self) -> (usize, usize) {
        let table = self.lock();
        (table.normal, table.reserved)
    }

    /// How many connections were let go at the cap, let go under pressure, and refused since
    /// the last call.
    pub(crate) fn take_counts(&self) -> (u64, u64, u64) {
        (
            self.counts.at_cap.swap(0, Ordering::Relaxed),
            self.counts.timed_out.swap(0, Ordering::Relaxed),
            self.counts.refused.swap(0, Ordering::Relaxed),
        )
    }

    /// The cap.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }
}

/// A connection's socket: reads and writes pass through; when the connection is dropped after
/// being let go at the cap before its first answer, the client is told 503 first (plain HTTP).
#[derive(Debug)]
pub(crate) struct Tracked {
    stream: TcpStream,
    conn: Arc<Conn>,
    plain: bool,
}

impl Tracked {
    /// `stream` of `conn`; `plain` when HTTP is spoken on it directly (not TLS).
    pub(crate) fn new(stream: TcpStream, conn: Arc<Conn>, plain: bool) -> Self {
        Self {
            stream,
            conn,
            plain,
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.plain && self.conn.tells_why() {
            // Best effort, without waiting: the client learns why before the close.
            let _ = self.stream.try_write(BUSY_ANSWER);
        }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer() -> SocketAddr {
        "127.0.0.1:40000".parse().unwrap()
    }

    #[test]
    fn busy_answer_is_well_formed() {
        let text = std::str::from_utf8(BUSY_ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{text}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["limit"], "RESOLVER_MAX_CONNECTIONS");
    }

    #[tokio::test(start_paused = true)]
    async fn at_the_cap_the_oldest_idle_goes_and_proven_ones_go_last() {
        let table = Connections::new(3, 1, Duration::from_secs(10));
        let proven = table.admit(peer()).unwrap();
        proven.conn().proven.store(true, Ordering::Release);
        tokio::time::sleep(Duration::from_millis(5)).await;
        let old = table.admit(peer()).unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let newer = table.admit(peer()).unwrap();
        let newest = table
            .admit(peer())
            .expect("a new connection is never refused for idle ones");
        assert!(!newest.conn().reserved());
        assert!(
            old.conn().tells_why(),
            "the oldest unproven one goes, told why"
        );
        old.conn().let_go().await;
        assert_eq!(proven.conn().let_go.load(Ordering::Acquire), 0);
        assert_eq!(newer.conn().let_go.load(Ordering::Acquire), 0);
        assert_eq!(table.open(), (3, 0));
        // Three open and the old one not closed yet take the cap's and the reserve's
        // descriptors: accepting waits until it closes.
        let waiting = tokio::time::timeout(Duration::from_secs(1), table.descriptors_free()).await;
        assert!(waiting.is_err());
        drop(old);
        tokio::time::timeout(Duration::from_millis(1), table.descriptors_free())
            .await
            .expect("free once it closed");
        assert_eq!(table.open(), (3, 0));
        assert_eq!(table.take_counts(), (1, 0, 0));
    }

    #[test]
    fn when_all_are_busy_the_reserve_takes_one_then_new_ones_are_refused() {
        let table = Connections::new(2, 1, Duration::from_secs(10));
        let a = table.admit(peer()).unwrap();
        let b = table.admit(peer()).unwrap();
        let _busy = (a.conn().begin_request(), b.conn().begin_request());
        let reserved = table.admit(peer()).unwrap();
        assert!(reserved.conn().reserved());
        let busy_reserved = reserved.conn().begin_request();
        assert!(table.admit(peer()).is_none());
        assert_eq!(table.take_counts(), (0, 0, 1));
        drop(busy_reserved);
        let again = table
            .admit(peer())
            .expect("the idle reserved one is let go");
        assert!(again.conn().reserved());
    }

    #[test]
    fn the_idle_time_shortens_with_pressure() {
        let table = Connections::new(100, 0, Duration::from_secs(10));
        assert_eq!(table.idle_timeout(10), Duration::from_secs(10));
        assert_eq!(table.idle_timeout(50), Duration::from_secs(10));
        assert_eq!(table.idle_timeout(75), Duration::from_millis(5500));
        assert_eq!(table.idle_timeout(100), Duration::from_secs(1));
        assert_eq!(table.idle_timeout(500), Duration::from_secs(1));
        let short = Connections::new(100, 0, Duration::from_millis(500));
        assert_eq!(short.idle_timeout(100), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connections_are_swept_sooner_under_pressure() {
        // At the cap, a tenth of the header time (one second of ten).
        let table = Connections::new(4, 0, Duration::from_secs(10));
        let held: Vec<_> = (0..4).map(|_| table.admit(peer()).unwrap()).collect();
        let _busy = held[0].conn().begin_request();
        tokio::time::sleep(Duration::from_millis(900)).await;
        assert_eq!(table.sweep(), 0, "nobody is stale yet");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(table.sweep(), 3, "the idle ones, not the busy one");
        assert_eq!(table.open(), (1, 0));
        // Without pressure, the full header time.
        let table = Connections::new(10, 0, Duration::from_secs(2));
        let _held: Vec<_> = (0..3).map(|_| table.admit(peer()).unwrap()).collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(table.sweep(), 0);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(table.sweep(), 3);
    }

    #[test]
    fn a_connection_counts_once_per_caller() {
        let table = Connections::new(4, 0, Duration::from_secs(10));
        let limit = PerCaller::new(1);
        let a = table.admit(peer()).unwrap();
        let b = table.admit(peer()).unwrap();
        assert!(a.conn().attribute(Caller::Token(0), &limit));
        assert!(
            a.conn().attribute(Caller::Token(0), &limit),
            "the same caller again"
        );
        assert!(
            !b.conn().attribute(Caller::Token(0), &limit),
            "over the caller's share"
        );
        assert!(b.conn().attribute(Caller::Token(1), &limit));
        drop(a);
        assert!(b.conn().attribute(Caller::Token(0), &limit));
        assert_eq!(limit.callers(), 1, "b moved from token 1 to token 0");
    }
}
