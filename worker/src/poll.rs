//! A poll strategy that wakes an idle worker every `period`. apalis-redis otherwise only
//! re-polls an empty queue on its heartbeat, and the built-in interval strategy can lose
//! its wake-up; this one drains the tokio interval on every call so it is always re-armed.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use apalis::prelude::{PollSnapshot, PollStrategy};
use tokio::time::{Interval, MissedTickBehavior};

pub struct Ticker {
    period: Duration,
    interval: Option<Interval>,
}

impl Ticker {
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            interval: None,
        }
    }
}

/// A clone starts its own timer: sharing one would let only one worker be woken.
impl Clone for Ticker {
    fn clone(&self) -> Self {
        Self::new(self.period)
    }
}

impl PollStrategy for Ticker {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _snapshot: &PollSnapshot) -> Poll<Option<()>> {
        let period = self.period;
        let interval = self.interval.get_or_insert_with(|| {
            let mut i = tokio::time::interval(period);
            i.set_missed_tick_behavior(MissedTickBehavior::Skip);
            i
        });
        let mut fired = false;
        // Poll until Pending so the waker is registered for the next tick.
        while interval.poll_tick(cx).is_ready() {
            fired = true;
        }
        if fired {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}
