//! [`Receipt`]: the promise that a submitted record will be committed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use tokio::sync::oneshot;

use super::{StoreError, Stored};

/// What the store's writer sends back for each record.
pub(crate) type Outcome = Result<Stored, StoreError>;

/// Resolves once a submitted record is durably committed, or failed to be.
///
/// Await it from async code (`store.submit(record).await?`), or call
/// [`wait`](Receipt::wait) from a thread that may block. It always
/// resolves: when the store's writer fails or stops before committing, the
/// receipt gives the error instead of hanging.
///
/// # Cancel safety
///
/// Dropping a receipt (or an `.await` on it that is cancelled) does not
/// withdraw the record: it is still committed, only nobody hears about it.
#[must_use = "a record is only durable once its receipt resolves with Ok"]
pub struct Receipt {
    /// The writer's answer, while it is awaited.
    rx: Option<oneshot::Receiver<Outcome>>,
    /// An answer known at submission (the store was closed or read-only).
    ready: Option<Outcome>,
    /// Given when the writer goes away without answering, and to a receipt
    /// polled again after it has resolved.
    closed: StoreError,
}

impl Receipt {
    pub(crate) fn pending(rx: oneshot::Receiver<Outcome>, closed: StoreError) -> Receipt {
        Receipt {
            rx: Some(rx),
            ready: None,
            closed,
        }
    }

    pub(crate) fn ready(outcome: Outcome, closed: StoreError) -> Receipt {
        Receipt {
            rx: None,
            ready: Some(outcome),
            closed,
        }
    }

    /// Blocks the calling thread until the record is committed or has
    /// failed.
    ///
    /// Does not need a tokio runtime and does not panic inside one, but it
    /// blocks a runtime worker thread there: async code should `.await` the
    /// receipt instead.
    pub fn wait(self) -> Result<Stored, StoreError> {
        let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut receipt = self;
        loop {
            if let Poll::Ready(outcome) = Pin::new(&mut receipt).poll(&mut cx) {
                return outcome;
            }
            thread::park();
        }
    }
}

impl Future for Receipt {
    type Output = Result<Stored, StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if let Some(outcome) = this.ready.take() {
            return Poll::Ready(outcome);
        }
        let Some(rx) = &mut this.rx else {
            // Polled again after it resolved: there is no second answer.
            return Poll::Ready(Err(this.closed.clone()));
        };
        match Pin::new(rx).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(answer) => {
                this.rx = None;
                Poll::Ready(answer.unwrap_or_else(|_| Err(this.closed.clone())))
            }
        }
    }
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match (&self.ready, &self.rx) {
            (Some(_), _) => "ready",
            (None, Some(_)) => "pending",
            (None, None) => "resolved",
        };
        f.debug_struct("Receipt")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}

/// Wakes a thread parked in [`Receipt::wait`].
struct ThreadWaker(Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::store::error::{Kind, store_path};

    fn closed() -> StoreError {
        StoreError::new(Kind::Closed, &store_path(Path::new("r.sqlite")), None)
    }

    #[test]
    fn a_receipt_whose_writer_went_away_resolves_with_an_error() {
        let (tx, rx) = oneshot::channel::<Outcome>();
        let receipt = Receipt::pending(rx, closed());
        let waiter = thread::spawn(move || receipt.wait());
        drop(tx);
        let e = waiter.join().unwrap().unwrap_err();
        assert!(e.is_closed(), "{e:?}");
        assert_eq!(e.to_string(), "store r.sqlite: the store is closed");
    }

    #[test]
    fn a_receipt_answered_from_another_thread_wakes_the_waiter() {
        let (tx, rx) = oneshot::channel::<Outcome>();
        let receipt = Receipt::pending(rx, closed());
        let answer = thread::spawn(move || {
            thread::sleep(std::time::Duration::from_millis(20));
            tx.send(Ok(Stored {
                id: 7,
                duplicate_of: Some(3),
            }))
        });
        let stored = receipt.wait().unwrap();
        assert_eq!((stored.id, stored.duplicate_of), (7, Some(3)));
        assert!(answer.join().unwrap().is_ok());
    }

    #[test]
    fn polling_again_after_the_answer_gives_an_error_not_a_hang() {
        let waker = Waker::from(Arc::new(ThreadWaker(thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut ready = Receipt::ready(
            Ok(Stored {
                id: 1,
                duplicate_of: None,
            }),
            closed(),
        );
        assert!(matches!(
            Pin::new(&mut ready).poll(&mut cx),
            Poll::Ready(Ok(_))
        ));
        assert!(matches!(Pin::new(&mut ready).poll(&mut cx), Poll::Ready(Err(e)) if e.is_closed()));

        let (tx, rx) = oneshot::channel::<Outcome>();
        let mut pending = Receipt::pending(rx, closed());
        assert!(Pin::new(&mut pending).poll(&mut cx).is_pending());
        assert_eq!(format!("{pending:?}"), "Receipt { state: \"pending\", .. }");
        tx.send(Ok(Stored {
            id: 2,
            duplicate_of: None,
        }))
        .unwrap();
        assert!(matches!(Pin::new(&mut pending).poll(&mut cx), Poll::Ready(Ok(s)) if s.id == 2));
        assert!(
            matches!(Pin::new(&mut pending).poll(&mut cx), Poll::Ready(Err(e)) if e.is_closed())
        );
    }
}
