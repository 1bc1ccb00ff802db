//! The latest value of every channel, and since when it has held.

use crate::bench::Channels;
use crate::expr::{ChannelId, Value};

#[derive(Clone, Copy, Debug)]
pub struct Reading {
    pub value: Value,
    /// When the channel took this value (its last change).
    pub since: f64,
    /// When it was last read.
    pub at: f64,
}

#[derive(Debug)]
pub struct Store {
    readings: Vec<Option<Reading>>,
}

impl Store {
    pub fn new(channels: &Channels) -> Store {
        Store {
            readings: vec![None; channels.len()],
        }
    }

    /// Record a reading; true when the value changed (or is the first).
    pub fn update(&mut self, id: ChannelId, value: Value, t: f64) -> bool {
        let Some(slot) = self.readings.get_mut(id.0) else {
            return false;
        };
        match slot {
            Some(r) if r.value == value => {
                r.at = t;
                false
            }
            _ => {
                *slot = Some(Reading {
                    value,
                    since: t,
                    at: t,
                });
                true
            }
        }
    }

    pub fn get(&self, id: ChannelId) -> Option<Reading> {
        self.readings.get(id.0).copied().flatten()
    }

    pub fn value(&self, id: ChannelId) -> Option<Value> {
        self.get(id).map(|r| r.value)
    }
}
