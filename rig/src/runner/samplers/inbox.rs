//! The executor's end of the samplers' feed: a [`Feed::Samples`] batch comes out as
//! its samples one at a time, in order, so the executor takes (and judges) each value
//! as if it had been sent alone. A busy CAN bus sends a frame's samples as one message:
//! a channel send per signal was most of the sampler's cost (CAN ingest bench).

use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::mpsc::error::TryRecvError;

use super::Feed;
use crate::expr::{ChannelId, Value};

pub struct Inbox {
    rx: UnboundedReceiver<Feed>,
    /// The rest of the last batch, not yet taken, and its moment.
    pending: Option<(Duration, std::vec::IntoIter<(ChannelId, Value)>)>,
}

impl Inbox {
    pub fn new(rx: UnboundedReceiver<Feed>) -> Inbox {
        Inbox { rx, pending: None }
    }

    /// The next item; `None` once every sender has gone and all is taken. Cancel safe,
    /// as the receiver's own `recv`: a batch is split only once it is received.
    pub async fn recv(&mut self) -> Option<Feed> {
        loop {
            if let Some(f) = self.next_pending() {
                return Some(f);
            }
            let f = self.rx.recv().await?;
            if let Some(f) = self.split(f) {
                return Some(f);
            }
        }
    }

    /// The next item if one is waiting.
    pub fn try_recv(&mut self) -> Result<Feed, TryRecvError> {
        loop {
            if let Some(f) = self.next_pending() {
                return Ok(f);
            }
            let f = self.rx.try_recv()?;
            if let Some(f) = self.split(f) {
                return Ok(f);
            }
        }
    }

    /// A batch's next sample, if any is left.
    fn next_pending(&mut self) -> Option<Feed> {
        let (t, values) = self.pending.as_mut()?;
        let next = values
            .next()
            .map(|(id, value)| Feed::Sample { id, value, t: *t });
        if next.is_none() {
            self.pending = None;
        }
        next
    }

    /// A batch's first sample, the others kept for later; any other item as it is.
    fn split(&mut self, f: Feed) -> Option<Feed> {
        let Feed::Samples { t, values } = f else {
            return Some(f);
        };
        self.pending = Some((t, values.into_iter()));
        self.next_pending()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::sync::mpsc::unbounded_channel;

    use super::*;
    use crate::expr::{ChannelId, Value};

    fn ids(items: Vec<Feed>) -> Vec<(usize, Duration)> {
        (items.into_iter())
            .map(|f| match f {
                Feed::Sample { id, t, .. } => (id.0, t),
                other => panic!("a sample, not {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_batch_comes_out_one_sample_at_a_time_in_order() {
        let (tx, rx) = unbounded_channel();
        let mut inbox = Inbox::new(rx);
        let (t1, t2) = (Duration::from_millis(1), Duration::from_millis(2));
        let batch = |ids: &[usize]| {
            (ids.iter())
                .map(|i| (ChannelId(*i), Value::Bool(true)))
                .collect()
        };
        let sample = Feed::Sample {
            id: ChannelId(9),
            value: Value::Bool(false),
            t: t2,
        };
        for f in [
            Feed::Samples {
                t: t1,
                values: batch(&[3, 1, 2]),
            },
            Feed::Samples {
                t: t1,
                values: Vec::new(),
            },
            sample,
        ] {
            tx.send(f).unwrap();
        }
        let mut out = vec![inbox.try_recv().unwrap()];
        drop(tx);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        while let Some(f) = rt.block_on(inbox.recv()) {
            out.push(f);
        }
        assert_eq!(ids(out), [(3, t1), (1, t1), (2, t1), (9, t2)]);
        assert!(matches!(inbox.try_recv(), Err(TryRecvError::Disconnected)));
    }
}
