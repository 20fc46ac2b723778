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
