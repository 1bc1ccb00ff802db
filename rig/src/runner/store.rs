//! The latest value of every channel, and since when it has held.

use std::time::Duration;

use crate::bench::Channels;
use crate::expr::{ChannelId, Value};

#[derive(Clone, Copy, Debug)]
pub struct Reading {
    pub value: Value,
    /// When the channel took this value (its last change), a moment of the run.
    pub since: Duration,
    /// When it was last read.
    pub at: Duration,
    /// Arrival number of the last reading: orders readings that share a timestamp
    /// (in virtual time a whole exchange takes no time).
    pub order: u64,
}

#[derive(Debug)]
pub struct Store {
    readings: Vec<Option<Reading>>,
    arrivals: u64,
}

impl Store {
    pub fn new(channels: &Channels) -> Store {
        Store {
            readings: vec![None; channels.len()],
            arrivals: 0,
        }
    }

    /// Record a reading; true when the value changed (or is the first).
    pub fn update(&mut self, id: ChannelId, value: Value, t: Duration) -> bool {
        let Some(slot) = self.readings.get_mut(id.0) else {
            return false;
        };
        self.arrivals += 1;
        let order = self.arrivals;
        match slot {
            Some(r) if r.value == value => {
                r.at = t;
                r.order = order;
                false
            }
            _ => {
                *slot = Some(Reading {
                    value,
                    since: t,
                    at: t,
                    order,
                });
                true
            }
        }
    }

    /// Drop a channel's reading: its source stopped talking, the value is no longer known.
    pub fn forget(&mut self, id: ChannelId) {
        if let Some(slot) = self.readings.get_mut(id.0) {
            *slot = None;
        }
    }

    /// How many readings have arrived so far; a window remembers it at its start.
    pub fn arrivals(&self) -> u64 {
        self.arrivals
    }

    pub fn get(&self, id: ChannelId) -> Option<Reading> {
        self.readings.get(id.0).copied().flatten()
    }

    pub fn value(&self, id: ChannelId) -> Option<Value> {
        self.get(id).map(|r| r.value)
    }
}
