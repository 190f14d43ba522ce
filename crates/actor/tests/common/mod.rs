//! Helpers shared by the actor crate's integration tests (the event log is
//! `greenery_testkit::Log`).
#![allow(dead_code, unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// A one-shot gate a greenlet can wait on until the test opens it.
#[derive(Clone, Default)]
pub struct Gate(Rc<(Cell<bool>, RefCell<Vec<Waker>>)>);

impl Gate {
    pub fn open(&self) {
        self.0.0.set(true);
        for waker in self.0.1.borrow_mut().drain(..) {
            waker.wake();
        }
    }

    pub async fn wait(&self) {
        poll_fn(|cx| {
            if self.0.0.get() {
                Poll::Ready(())
            } else {
                self.0.1.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }
}
