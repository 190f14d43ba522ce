//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

/// An event log, to assert the order things happened in.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, entry: impl Into<String>) {
        self.0.borrow_mut().push(entry.into());
    }

    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.borrow_mut())
    }
}

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
