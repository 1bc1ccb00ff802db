//! The four temperature protections of manual 3.4 together: CHTP and CLTP stop
//! charging, DHTP and DLTP stop discharging. A profile that declares none gets a twin
//! whose four never act.

use crate::bms::temperature::{Side, TemperaturePolicy, TemperatureProtection};
use crate::clock::{Instant, secs};
use crate::config::{TemperatureLimit, TemperatureProtectionParams};
use crate::defects::{Defect, DefectSet};

/// CHTP/DHTP/CLTP/DLTP (manual 3.4).
#[derive(Clone, Debug)]
pub(super) struct TemperatureProtections {
    pub(super) chtp: TemperatureProtection,
    pub(super) dhtp: TemperatureProtection,
    pub(super) cltp: TemperatureProtection,
    pub(super) dltp: TemperatureProtection,
}

fn policy(limit: &TemperatureLimit, side: Side, enabled: bool) -> TemperaturePolicy {
    TemperaturePolicy {
        side,
        trip_c: limit.trip_c,
        release_c: limit.release_c,
        trip_delay: secs(limit.trip_delay_s),
        enabled,
    }
}

impl TemperatureProtections {
    /// From the profile's limits (`None`: no protections), with the defects that bend
    /// CHTP's hysteresis or switch CLTP off.
    pub(super) fn new(params: Option<&TemperatureProtectionParams>, defects: DefectSet) -> Self {
        let never = TemperatureLimit::NEVER;
        let enabled = params.is_some();
        let limit = |pick: fn(&TemperatureProtectionParams) -> &TemperatureLimit| {
            params.map_or(&never, pick)
        };
        let mut chtp = policy(limit(|t| &t.charge_high), Side::High, enabled);
        if defects.has(Defect::ChtpNoHysteresis) {
            chtp.release_c = chtp.trip_c;
        }
        let mut cltp = policy(limit(|t| &t.charge_low), Side::Low, enabled);
        cltp.enabled &= !defects.has(Defect::CltpIgnored);
        Self {
            chtp: TemperatureProtection::new(chtp),
            dhtp: TemperatureProtection::new(policy(
                limit(|t| &t.discharge_high),
                Side::High,
                enabled,
            )),
            cltp: TemperatureProtection::new(cltp),
            dltp: TemperatureProtection::new(policy(
                limit(|t| &t.discharge_low),
                Side::Low,
                enabled,
            )),
        }
    }

    /// CHTP, DHTP, CLTP, DLTP, in that order.
    pub(super) fn all(&self) -> [&TemperatureProtection; 4] {
        [&self.chtp, &self.dhtp, &self.cltp, &self.dltp]
    }

    fn all_mut(&mut self) -> [&mut TemperatureProtection; 4] {
        [
            &mut self.chtp,
            &mut self.dhtp,
            &mut self.cltp,
            &mut self.dltp,
        ]
    }

    /// CHTP or CLTP acting: charging stops.
    pub(super) fn stop_charging(&self) -> bool {
        self.chtp.active() || self.cltp.active()
    }

    /// DHTP or DLTP acting: discharging stops.
    pub(super) fn stop_discharging(&self) -> bool {
        self.dhtp.active() || self.dltp.active()
    }

    /// CHTP or DHTP acting (0x359 byte 0 bit 3).
    pub(super) fn over_temperature(&self) -> bool {
        self.chtp.active() || self.dhtp.active()
    }

    /// CLTP or DLTP acting (0x359 byte 0 bit 4).
    pub(super) fn under_temperature(&self) -> bool {
        self.cltp.active() || self.dltp.active()
    }

    pub(super) fn any(&self) -> bool {
        self.all().iter().any(|p| p.active())
    }

    pub(super) fn advance(&mut self, from: Instant, to: Instant, temperature_c: f64) {
        for p in self.all_mut() {
            p.advance(from, to, temperature_c);
        }
    }

    /// Manual 3.3.3 E reset: every protection released.
    pub(super) fn reset(&mut self) {
        for p in self.all_mut() {
            p.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Duration;
    use crate::config::PackParams;

    fn protections(defects: &[Defect]) -> TemperatureProtections {
        let params = PackParams::lesso_lsrr51v100ah().temperature_protection;
        TemperatureProtections::new(params.as_ref(), DefectSet::from_list(defects))
    }

    /// `temperature_c` held for `seconds` from a fresh start.
    fn held(p: &mut TemperatureProtections, temperature_c: f64, seconds: u64) -> Instant {
        let t0 = Instant::now();
        let t = t0 + Duration::from_secs(seconds);
        p.advance(t0, t0, temperature_c);
        p.advance(t0, t, temperature_c);
        t
    }

    #[test]
    fn each_side_stops_its_own_direction() {
        let mut hot = protections(&[]);
        held(&mut hot, 55.0, 10);
        assert!(hot.stop_charging() && hot.stop_discharging() && hot.over_temperature());
        assert!(!hot.under_temperature());
        // -7 °C: below the charge range (-5) but inside the discharge range (-10).
        let mut cold = protections(&[]);
        held(&mut cold, -7.0, 10);
        assert!(cold.stop_charging() && !cold.stop_discharging());
        assert!(cold.under_temperature() && !cold.over_temperature());
        cold.reset();
        assert!(!cold.any());
    }

    #[test]
    fn cltp_ignored_charges_in_the_cold() {
        let mut p = protections(&[Defect::CltpIgnored]);
        held(&mut p, -7.0, 10);
        assert!(!p.stop_charging());
    }

    #[test]
    fn chtp_without_hysteresis_releases_at_the_trip_point() {
        for (defects, released) in [(vec![], false), (vec![Defect::ChtpNoHysteresis], true)] {
            let mut p = protections(&defects);
            let t = held(&mut p, 55.0, 10);
            assert!(p.chtp.active());
            p.advance(t, t + Duration::from_secs(10), 49.0);
            assert_eq!(!p.chtp.active(), released, "{defects:?}");
        }
    }

    #[test]
    fn a_profile_without_protections_never_trips() {
        let mut p = TemperatureProtections::new(None, DefectSet::EMPTY);
        held(&mut p, 200.0, 3600);
        held(&mut p, -100.0, 3600);
        assert!(!p.any());
    }
}
