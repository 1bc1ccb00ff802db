//! Putting instruments into the safe state their bench entries declare, on every way
//! out of a run: sources first (they hold the energy), each bounded in time, each read
//! back where the instrument can be asked, and each reconnected once when its
//! connection broke. An instrument whose connecting failed halfway is made safe over a
//! fresh connection too. A panic in one instrument's safe state is that instrument's
//! failure; the others still get theirs.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use rig_drivers::traffic::TrafficSink;
use rig_reports::EventKind;

use super::apply::{self, Attempt};
use super::{Connector, Instruments};
use crate::bench::{InstrumentSpec, Role, SafeState};
use crate::runner::failure::{SafeStateError, panic_message};
use crate::runner::log::EventLog;

/// What the teardown works on: a connected instrument by name, or the bench entry of
/// one whose connecting failed halfway.
enum Target<'a> {
    Connected(&'a str),
    Unconnected(&'a InstrumentSpec),
}

impl Instruments {
    /// Put every instrument into the safe state its bench entry declares: connected
    /// sources first (they hold the energy), then the rest in reverse connection order,
    /// then those whose connecting failed, each bounded in time. Returns the
    /// instruments that could not be made safe. A stop request beyond `stops_seen`
    /// (a second Ctrl-C) hurries the teardown: no more reconnects, but every safe
    /// state is still sent.
    pub async fn make_safe(
        &self,
        log: &EventLog,
        connector: &Connector<'_>,
        traffic: &TrafficSink,
        stops_seen: u32,
    ) -> Vec<String> {
        let mut unsafe_left = Vec::new();
        for target in self.safe_order() {
            let name = match target {
                Target::Connected(name) => name.to_string(),
                Target::Unconnected(spec) => spec.name.clone(),
            };
            let attempt =
                AssertUnwindSafe(self.make_target_safe(&target, connector, traffic, stops_seen))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|panic| {
                        let message = panic_message(&panic);
                        Some((
                            "safe state".into(),
                            Err(SafeStateError::Panicked { message }),
                        ))
                    });
            let Some((action, result)) = attempt else {
                continue;
            };
            let ok = result.is_ok();
            if !ok {
                unsafe_left.push(name.clone());
            }
            log.emit(EventKind::SafeState {
                instrument: name,
                action,
                ok,
                error: result.err().map(|e| e.to_string()),
            });
        }
        unsafe_left
    }

    /// Sources first, then reverse connection order, then the unconnected ones.
    fn safe_order(&self) -> Vec<Target<'_>> {
        let mut order: Vec<&String> = self.order.iter().rev().collect();
        order.sort_by_key(|name| self.source.as_ref().is_none_or(|(s, _)| &s.name != *name));
        let mut targets: Vec<Target<'_>> = order
            .into_iter()
            .map(|n| Target::Connected(n.as_str()))
            .collect();
        let mut unconnected: Vec<&InstrumentSpec> = self.unconnected.iter().collect();
        unconnected.sort_by_key(|spec| spec.driver.role() != Role::Source);
        targets.extend(unconnected.into_iter().map(Target::Unconnected));
        targets
    }

    /// One target into its safe state; `None` when it has none.
    async fn make_target_safe(
        &self,
        target: &Target<'_>,
        connector: &Connector<'_>,
        traffic: &TrafficSink,
        stops_seen: u32,
    ) -> Option<Attempt> {
        let name = match target {
            Target::Unconnected(spec) => {
                let (action, result) = self.fresh(spec, connector, traffic).await?;
                let action = format!("{action}, over a new connection (connecting had failed)");
                return Some((action, result));
            }
            Target::Connected(name) => *name,
        };
        let (action, result) = self.make_one_safe(name).await?;
        let Err(first) = result else {
            return Some((action, Ok(())));
        };
        if let Some(reason) =
            crate::stop::requested().filter(|_| crate::stop::requests() > stops_seen)
        {
            let error = SafeStateError::NotReconnected {
                first: Box::new(first),
                reason,
            };
            return Some((action, Err(error)));
        }
        let spec = self.spec(name)?;
        let (_, retry) = self.fresh(spec, connector, traffic).await?;
        Some(match retry {
            Ok(()) => (format!("{action}, after reconnecting ({first})"), Ok(())),
            Err(retry) => (
                action,
                Err(SafeStateError::Reconnect {
                    first: Box::new(first),
                    retry: Box::new(retry),
                }),
            ),
        })
    }

    /// The bench entry of the connected instrument `name`.
    fn spec(&self, name: &str) -> Option<&InstrumentSpec> {
        if let Some((spec, _)) = self.source.as_ref().filter(|(s, _)| s.name == name) {
            return Some(spec);
        }
        if let Some((spec, _)) = self.chamber.as_ref().filter(|(s, _)| s.name == name) {
            return Some(spec);
        }
        self.boards.get(name).map(|(spec, _)| spec)
    }

    /// The connected instrument `name` into its safe state; `None` when it has none.
    async fn make_one_safe(&self, name: &str) -> Option<Attempt> {
        if let Some((spec, source)) = self.source.as_ref().filter(|(s, _)| s.name == name) {
            return apply::source(spec, source).await;
        }
        if let Some((spec, chamber)) = self.chamber.as_ref().filter(|(s, _)| s.name == name) {
            return apply::chamber(spec, chamber).await;
        }
        let (spec, board) = self.boards.get(name)?;
        apply::board(spec, board).await
    }

    /// An instrument into its safe state over a new connection, opened as this run
    /// opened its instruments (a probe's stay read-only until their safe state).
    async fn fresh(
        &self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        traffic: &TrafficSink,
    ) -> Option<Attempt> {
        if spec.safe_state == SafeState::Nothing {
            return None;
        }
        Some(apply::fresh(spec, connector, traffic, self.opening).await)
    }
}
