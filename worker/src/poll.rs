//! When an idle worker asks Redis for jobs of its kind: at once when an enqueue announces
//! one (`shared::jobs::wake`), when a delayed job falls due, and on a slow safety interval
//! for anything an announcement missed. apalis-redis on its own re-polls an empty queue only
//! on its heartbeat; a busy worker keeps fetching without waiting for any of these.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use apalis::prelude::{PollSnapshot, PollStrategy};
use shared::jobs::wake::{KindSignal, unix_ms};
use tokio::time::{Interval, MissedTickBehavior, Sleep};

pub struct WakeOrTick {
    signal: Arc<KindSignal>,
    safety_period: Duration,
    safety: Option<Interval>,
    seen: u64,
    /// The due time (unix ms) the timer is set for.
    due: Option<(u64, Pin<Box<Sleep>>)>,
}

impl WakeOrTick {
    pub fn new(signal: Arc<KindSignal>, safety_period: Duration) -> Self {
        Self {
            seen: signal.generation(),
            signal,
            safety_period,
            safety: None,
            due: None,
        }
    }
}

/// A clone starts its own timers: sharing one would let only one worker be woken.
impl Clone for WakeOrTick {
    fn clone(&self) -> Self {
        Self::new(self.signal.clone(), self.safety_period)
    }
}

impl PollStrategy for WakeOrTick {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _snapshot: &PollSnapshot) -> Poll<Option<()>> {
        self.signal.register(cx.waker());
        let generation = self.signal.generation();
        let mut fired = generation != self.seen;
        self.seen = generation;

        let period = self.safety_period;
        let safety = self.safety.get_or_insert_with(|| {
            let mut i = tokio::time::interval(period);
            i.set_missed_tick_behavior(MissedTickBehavior::Skip);
            i
        });
        // Poll until Pending so the waker is registered for the next tick (a fired tokio
        // interval that is not polled again never wakes anyone).
        while safety.poll_tick(cx).is_ready() {
            fired = true;
        }

        let now = unix_ms();
        match self.signal.next_due(now) {
            None => self.due = None,
            Some(at) => {
                if self.due.as_ref().map(|(t, _)| *t) != Some(at) {
                    let wait = Duration::from_millis(at.saturating_sub(now));
                    self.due = Some((at, Box::pin(tokio::time::sleep(wait))));
                }
                if let Some((_, timer)) = self.due.as_mut()
                    && timer.as_mut().poll(cx).is_ready()
                {
                    self.due = None;
                    fired = true;
                }
            }
        }
        if fired {
            Poll::Ready(Some(()))
        } else {
            Poll::Pending
        }
    }
}
