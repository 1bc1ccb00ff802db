//! The temperature protections of manual 3.4:
//!
//! > CHTP DHTP: The BMS will stop charging or discharging or both if any
//! > cell/environment/MOS temperature is beyond the range. Automatic recovery when
//! > temperature falls.
//!
//! > CLTP DLTP: The BMS will stop charging or discharging or both if any
//! > cell/environment/MOS temperature is under the range. Automatic recovery when
//! > temperature rise.
//!
//! The range is manual 3.3.2 "Operation temperature Charge: -5~50°C Discharge:-10~50°C".
//! One [`TemperatureProtection`] is one of the four; the twin has one temperature (cells,
//! environment and MOSFETs alike). Release temperatures and delays come from the DUT
//! profile, marked as assumptions.

use crate::clock::{Duration, Instant};

/// Which side of the range a protection guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// CHTP/DHTP: trips above, recovers when the temperature falls.
    High,
    /// CLTP/DLTP: trips below, recovers when the temperature rises.
    Low,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TemperaturePolicy {
    pub(crate) side: Side,
    /// The end of the operation range, °C.
    pub(crate) trip_c: f64,
    /// Where "automatic recovery" happens, °C.
    pub(crate) release_c: f64,
    pub(crate) trip_delay: Duration,
    /// Whether the protection acts at all.
    pub(crate) enabled: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct TemperatureProtection {
    policy: TemperaturePolicy,
    active: bool,
    beyond_since: Option<Instant>,
}

impl TemperatureProtection {
    pub(crate) fn new(policy: TemperaturePolicy) -> Self {
        Self {
            policy,
            active: false,
            beyond_since: None,
        }
    }

    pub(crate) fn active(&self) -> bool {
        self.active
    }

    /// The instant after `now` at which the protection trips if `temperature_c` holds.
    pub(crate) fn next_deadline(&self, now: Instant, temperature_c: f64) -> Option<Instant> {
        (!self.active && self.beyond(temperature_c))
            .then(|| self.beyond_since.unwrap_or(now) + self.policy.trip_delay)
            .filter(|t| *t > now)
    }

    /// `temperature_c` held from `from` to `to` (`from == to` evaluates the instant).
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, temperature_c: f64) {
        if self.active {
            if self.released(temperature_c) {
                self.active = false;
                self.beyond_since = None;
            }
            return;
        }
        if self.beyond(temperature_c) {
            let since = *self.beyond_since.get_or_insert(from);
            if to >= since + self.policy.trip_delay {
                self.active = true;
            }
        } else {
            self.beyond_since = None;
        }
    }

    /// A BMS reset starts afresh (it trips again if the temperature says so).
    pub(crate) fn reset(&mut self) {
        self.active = false;
        self.beyond_since = None;
    }

    fn beyond(&self, t: f64) -> bool {
        let p = &self.policy;
        p.enabled
            && match p.side {
                Side::High => t > p.trip_c,
                Side::Low => t < p.trip_c,
            }
    }

    fn released(&self, t: f64) -> bool {
        let p = &self.policy;
        match p.side {
            Side::High => t < p.release_c,
            Side::Low => t > p.release_c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chtp() -> TemperatureProtection {
        TemperatureProtection::new(TemperaturePolicy {
            side: Side::High,
            trip_c: 50.0,
            release_c: 45.0,
            trip_delay: Duration::from_secs(5),
            enabled: true,
        })
    }

    fn cltp() -> TemperatureProtection {
        TemperatureProtection::new(TemperaturePolicy {
            side: Side::Low,
            trip_c: -5.0,
            release_c: 0.0,
            trip_delay: Duration::from_secs(5),
            enabled: true,
        })
    }

    fn hold(p: &mut TemperatureProtection, t: &mut Instant, c: f64, seconds: u64) {
        let to = *t + Duration::from_secs(seconds);
        p.advance(*t, *t, c);
        p.advance(*t, to, c);
        *t = to;
    }

    #[test]
    fn chtp_trips_beyond_the_range_after_its_delay() {
        let mut p = chtp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, 50.0, 600);
        assert!(!p.active(), "50 °C is still in the range -5~50 °C");
        hold(&mut p, &mut t, 50.5, 4);
        assert!(!p.active());
        assert_eq!(p.next_deadline(t, 50.5), Some(t + Duration::from_secs(1)));
        hold(&mut p, &mut t, 50.5, 1);
        assert!(p.active());
    }

    #[test]
    fn chtp_recovers_only_below_the_release_temperature() {
        let mut p = chtp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, 55.0, 5);
        assert!(p.active());
        hold(&mut p, &mut t, 47.0, 3600);
        assert!(p.active(), "between release and trip the protection holds");
        hold(&mut p, &mut t, 44.9, 0);
        assert!(!p.active());
    }

    #[test]
    fn cltp_trips_below_and_recovers_when_warmer() {
        let mut p = cltp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, -6.0, 5);
        assert!(p.active());
        hold(&mut p, &mut t, -1.0, 600);
        assert!(p.active());
        hold(&mut p, &mut t, 0.5, 0);
        assert!(!p.active());
    }

    #[test]
    fn a_disabled_protection_never_trips() {
        let mut p = TemperatureProtection::new(TemperaturePolicy {
            enabled: false,
            ..cltp().policy
        });
        let mut t = Instant::now();
        hold(&mut p, &mut t, -30.0, 3600);
        assert!(!p.active());
        assert_eq!(p.next_deadline(t, -30.0), None);
    }
}
