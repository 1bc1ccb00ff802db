//! The pre-charge circuit (Lesso 3.2 Features: "Built-in pre-charge circuit to avoid
//! rush current when connecting with different inverter/chargers"; 5 troubleshooting,
//! "Unable to discharge": "pre-charge failure during connection inverter").
//!
//! When the pack switches on (power-up, wake-up, a reset) the discharge path closes
//! through the pre-charge resistor first. At the end of the pre-charge time the BMS
//! looks at its terminals: pulled up to within the pass margin of the pack voltage (an
//! inverter's DC link charged, or nothing connected), the discharge MOSFET closes;
//! still held down (a short, or too large a load), the pre-charge has failed, the
//! discharge path opens, and the BMS tries again after the retry delay. Charging is not
//! affected (the charge MOSFET conducts throughout). Choice: a protection's automatic
//! recovery re-closes the MOSFET directly, since the manual ties pre-charge to
//! "connecting", not to recoveries. Resistance, time, margin and retry delay are
//! assumptions of the DUT profile.

use crate::clock::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PrechargePolicy {
    /// The pre-charge resistor in the discharge path, ohm.
    pub(crate) resistance_ohm: f64,
    /// How long the pre-charge lasts before the BMS checks its terminals.
    pub(crate) time: Duration,
    /// The terminals must be no more than this below the pack voltage, V.
    pub(crate) pass_margin_v: f64,
    /// How long after a failed pre-charge the BMS tries again.
    pub(crate) retry_delay: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum State {
    /// The discharge MOSFET may close (pre-charge passed, or none configured).
    Done,
    /// Discharge current flows through the resistor until `until`.
    Charging { until: Instant },
    /// Failed; the next attempt starts at `retry_at`.
    Failed { retry_at: Instant },
}

#[derive(Clone, Debug)]
pub(crate) struct Precharge {
    policy: Option<PrechargePolicy>,
    state: State,
    failures: u32,
}

impl Precharge {
    /// `None`: a pack without a pre-charge circuit (its discharge path closes at once).
    pub(crate) fn new(policy: Option<PrechargePolicy>) -> Self {
        Self {
            policy,
            state: State::Done,
            failures: 0,
        }
    }

    /// The pack switches on at `now`: pre-charge before the discharge MOSFET closes.
    pub(crate) fn start(&mut self, now: Instant) {
        if let Some(p) = &self.policy {
            self.state = State::Charging {
                until: now + p.time,
            };
        }
    }

    /// The discharge MOSFET may conduct at full.
    pub(crate) fn done(&self) -> bool {
        self.state == State::Done
    }

    /// The resistor in the discharge path now, if pre-charging.
    pub(crate) fn resistance_ohm(&self) -> Option<f64> {
        match (&self.state, &self.policy) {
            (State::Charging { .. }, Some(p)) => Some(p.resistance_ohm),
            _ => None,
        }
    }

    /// Failed pre-charges so far.
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    pub(crate) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        match self.state {
            State::Done => None,
            State::Charging { until } => Some(until),
            State::Failed { retry_at } => Some(retry_at),
        }
        .filter(|t| *t > now)
    }

    /// The terminals at `terminal_v` and the pack at `pack_v` held until `to`.
    pub(crate) fn advance(&mut self, to: Instant, pack_v: f64, terminal_v: f64) {
        let Some(p) = &self.policy else {
            self.state = State::Done;
            return;
        };
        match self.state {
            State::Done => {}
            State::Charging { until } if to >= until => {
                let pulled_up = terminal_v >= pack_v - p.pass_margin_v;
                self.state = if pulled_up {
                    State::Done
                } else {
                    self.failures = self.failures.saturating_add(1);
                    State::Failed {
                        retry_at: until + p.retry_delay,
                    }
                };
            }
            State::Failed { retry_at } if to >= retry_at => {
                self.state = State::Charging {
                    until: retry_at + p.time,
                };
            }
            State::Charging { .. } | State::Failed { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn precharge() -> Precharge {
        Precharge::new(Some(PrechargePolicy {
            resistance_ohm: 50.0,
            time: Duration::from_secs(2),
            pass_margin_v: 5.0,
            retry_delay: Duration::from_secs(10),
        }))
    }

    #[test]
    fn an_open_or_pulled_up_terminal_passes_after_the_precharge_time() {
        let mut p = precharge();
        let t0 = Instant::now();
        p.start(t0);
        assert!(!p.done());
        assert_eq!(p.resistance_ohm(), Some(50.0));
        assert_eq!(p.next_deadline(t0), Some(t0 + Duration::from_secs(2)));
        p.advance(t0 + Duration::from_secs(1), 52.0, 52.0);
        assert!(!p.done(), "not before the pre-charge time");
        p.advance(t0 + Duration::from_secs(2), 52.0, 49.0);
        assert!(p.done());
        assert_eq!(p.resistance_ohm(), None);
        assert_eq!(p.failures(), 0);
    }

    #[test]
    fn a_held_down_terminal_fails_and_retries_after_the_delay() {
        let mut p = precharge();
        let t0 = Instant::now();
        p.start(t0);
        p.advance(t0 + Duration::from_secs(2), 52.0, 30.0);
        assert!(!p.done());
        assert_eq!(p.failures(), 1);
        assert_eq!(p.resistance_ohm(), None, "the path is open while waiting");
        let retry = t0 + Duration::from_secs(12);
        assert_eq!(p.next_deadline(t0 + Duration::from_secs(2)), Some(retry));
        p.advance(retry, 52.0, 30.0);
        assert_eq!(p.resistance_ohm(), Some(50.0), "trying again");
        p.advance(retry + Duration::from_secs(2), 52.0, 52.0);
        assert!(p.done(), "the load is gone: passes");
    }

    #[test]
    fn without_a_circuit_the_path_closes_at_once() {
        let mut p = Precharge::new(None);
        p.start(Instant::now());
        assert!(p.done());
        assert_eq!(p.next_deadline(Instant::now()), None);
    }
}
