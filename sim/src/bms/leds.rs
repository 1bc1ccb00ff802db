//! The RUN, ALM and SOC LEDs, as each manual's table lights them.
//!
//! Lesso manual 3.3.3.4 (RUN, ALM, four SOC LEDs):
//!
//! | Mode / status            | RUN    | ALM    | SOC LEDs                         |
//! |--------------------------|--------|--------|----------------------------------|
//! | Power off                | OFF    | OFF    | OFF                              |
//! | Standby normal / warning | FLASH1 | OFF / FLASH3 | according to SOC           |
//! | Charge normal / warning  | ON     | OFF / FLASH3 | SOC, highest SOC LED FLASH2 |
//! | Charge COCP              | FLASH1 | OFF    | according to SOC                 |
//! | Discharge normal / warn. | FLASH3 | OFF / FLASH3 | according to SOC           |
//! | CUVP/PUVP                | OFF    | FLASH3 | OFF                              |
//! | DOCP, temperature, failure | OFF  | ON     | OFF                              |
//!
//! "FLASH1 0.25S/3.75S, FLASH2 0.5S/0.5S, FLASH3 0.5S/1.5S" (on/off). The LOSUN manual
//! 2.5 uses the same flash types and its own table (L8 RUN, L7 ALM, L1..L6 level):
//! shut down all OFF; standby RUN OFF, ALM OFF, level steady; charging RUN OFF, ALM OFF,
//! "The highest capacity indicator LED flashes (flash 2), others lighting"; full
//! charged all lit; charge protection RUN OFF, ALM Light, level OFF; discharging RUN
//! "Flash", ALM "Light", level steady; UVP RUN Light, ALM Light, level OFF; protection
//! and fault RUN OFF, ALM Light, level OFF. The LOSUN status table is taken as written
//! (ALM lit during a normal discharge included); its level tables are garbled in the
//! L7/L8 columns and only their L1..L6 part is used.
//!
//! Assumptions, where the tables leave room: the Lesso "according to battery SOC" is one
//! LED per started 25 % (LOSUN gives its bands: 0~17 %, 18~33 % ... 84~100 %);
//! COVP/POVP, which the Lesso table does not list, shows as COCP does (charging
//! stopped); LOSUN's discharge "Flash" is FLASH3 as Lesso's. Flash phases run freely
//! from the BMS's power-on: a FLASH is on for the first part of each period.

use crate::clock::Duration;
use crate::config::LedTable;

/// On time and period of one flash type (both manuals' note).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flash {
    /// 0.25 s on, 3.75 s off.
    One,
    /// 0.5 s on, 0.5 s off.
    Two,
    /// 0.5 s on, 1.5 s off.
    Three,
}

impl Flash {
    fn on_and_period_ms(self) -> (u128, u128) {
        match self {
            Flash::One => (250, 4000),
            Flash::Two => (500, 1000),
            Flash::Three => (500, 2000),
        }
    }

    fn lit(self, since_power_on: Duration) -> bool {
        let (on, period) = self.on_and_period_ms();
        since_power_on.as_millis() % period < on
    }
}

/// How one LED is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Led {
    Off,
    On,
    Flashing(Flash),
}

impl Led {
    fn lit(self, since_power_on: Duration) -> bool {
        match self {
            Led::Off => false,
            Led::On => true,
            Led::Flashing(f) => f.lit(since_power_on),
        }
    }
}

/// What the firmware is doing, in the words of the LED tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LedMode {
    /// Asleep or shut down.
    Off,
    Standby,
    Charging,
    /// LOSUN "Full Charged".
    FullCharged,
    Discharging,
    /// Charging stopped by COCP (or COVP/POVP).
    ChargeStopped,
    /// CUVP/PUVP.
    UnderVoltage,
    /// DOCP or a temperature protection.
    Protection,
    /// SCP, reversed polarity, sensor failure.
    Failure,
}

/// The firmware's state as the LEDs show it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LedInputs {
    pub(crate) mode: LedMode,
    /// A warning of the 3.3.3.4 note is raised.
    pub(crate) warning: bool,
    /// SOC as displayed, percent.
    pub(crate) soc_percent: f64,
}

/// The LED pattern of one state: RUN, ALM and the level LEDs (index 0 = SOC LED 1 / L1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LedPattern {
    pub(crate) run: Led,
    pub(crate) alm: Led,
    pub(crate) level: Vec<Led>,
}

/// Which LEDs are lit `since_power_on`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LedsLit {
    pub(crate) run: bool,
    pub(crate) alm: bool,
    pub(crate) level: Vec<bool>,
}

impl LedPattern {
    /// Every FLASH3 of the pattern flashed with FLASH2's 1 s period instead (the
    /// `flash3_period_1s` defect).
    pub(crate) fn flash3_as_flash2(&mut self) {
        let swap = |led: &mut Led| {
            if *led == Led::Flashing(Flash::Three) {
                *led = Led::Flashing(Flash::Two);
            }
        };
        swap(&mut self.run);
        swap(&mut self.alm);
        self.level.iter_mut().for_each(swap);
    }

    pub(crate) fn at(&self, since_power_on: Duration) -> LedsLit {
        LedsLit {
            run: self.run.lit(since_power_on),
            alm: self.alm.lit(since_power_on),
            level: self.level.iter().map(|l| l.lit(since_power_on)).collect(),
        }
    }
}

/// Upper ends of the Lesso level bands, percent (assumption: quarters).
const LESSO_BANDS: &[f64] = &[25.0, 50.0, 75.0, 100.0];
/// LOSUN 2.5: "0~17%, 18~33%, 34~50%, 51~66%, 67~83%, 84~100%".
const LOSUN_BANDS: &[f64] = &[17.0, 33.0, 50.0, 66.0, 83.0, 100.0];

/// Level LEDs lit for `soc_percent`: as many as the band it falls in (at least one).
fn lit_count(soc_percent: f64, bands: &[f64]) -> usize {
    let below = bands.iter().take_while(|top| soc_percent > **top).count();
    (below + 1).min(bands.len())
}

fn level(soc_percent: f64, bands: &[f64], highest_flashes: bool) -> Vec<Led> {
    let count = bands.len();
    let lit = lit_count(soc_percent, bands);
    (0..count)
        .map(|i| {
            if i + 1 < lit || (i + 1 == lit && !highest_flashes) {
                Led::On
            } else if i + 1 == lit {
                Led::Flashing(Flash::Two)
            } else {
                Led::Off
            }
        })
        .collect()
}

impl LedTable {
    fn bands(self) -> &'static [f64] {
        match self {
            LedTable::Lesso => LESSO_BANDS,
            LedTable::Losun => LOSUN_BANDS,
        }
    }

    /// The pattern of the table's row for `i`.
    pub(crate) fn pattern(self, i: &LedInputs) -> LedPattern {
        let n = self.bands().len();
        let off = vec![Led::Off; n];
        let soc = |flash_top| level(i.soc_percent, self.bands(), flash_top);
        let (run, alm, level) = match self {
            LedTable::Lesso => {
                let warn = |w| {
                    if w {
                        Led::Flashing(Flash::Three)
                    } else {
                        Led::Off
                    }
                };
                match i.mode {
                    LedMode::Off => (Led::Off, Led::Off, off),
                    LedMode::Standby => (Led::Flashing(Flash::One), warn(i.warning), soc(false)),
                    LedMode::Charging | LedMode::FullCharged => {
                        (Led::On, warn(i.warning), soc(true))
                    }
                    LedMode::ChargeStopped => (Led::Flashing(Flash::One), Led::Off, soc(false)),
                    LedMode::Discharging => {
                        (Led::Flashing(Flash::Three), warn(i.warning), soc(false))
                    }
                    LedMode::UnderVoltage => (Led::Off, Led::Flashing(Flash::Three), off),
                    LedMode::Protection | LedMode::Failure => (Led::Off, Led::On, off),
                }
            }
            LedTable::Losun => match i.mode {
                LedMode::Off => (Led::Off, Led::Off, off),
                LedMode::Standby => (Led::Off, Led::Off, soc(false)),
                LedMode::Charging => (Led::Off, Led::Off, soc(true)),
                LedMode::FullCharged => (Led::On, Led::Off, vec![Led::On; n]),
                LedMode::Discharging => (Led::Flashing(Flash::Three), Led::On, soc(false)),
                LedMode::UnderVoltage => (Led::On, Led::On, off),
                LedMode::ChargeStopped | LedMode::Protection | LedMode::Failure => {
                    (Led::Off, Led::On, off)
                }
            },
        };
        LedPattern { run, alm, level }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(mode: LedMode, warning: bool, soc_percent: f64) -> LedInputs {
        LedInputs {
            mode,
            warning,
            soc_percent,
        }
    }

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    /// The instants within one period at which `led` is lit, sampled every 250 ms.
    fn lit_samples(led: Led, period_ms: u64) -> Vec<u64> {
        (0..period_ms / 250)
            .map(|k| k * 250)
            .filter(|t| led.lit(ms(*t)))
            .collect()
    }

    #[test]
    fn flash_types_have_the_manuals_on_and_off_times() {
        for (flash, on_ms, off_ms) in [
            (Flash::One, 250, 3750),
            (Flash::Two, 500, 500),
            (Flash::Three, 500, 1500),
        ] {
            let led = Led::Flashing(flash);
            assert!(led.lit(ms(0)));
            assert!(led.lit(ms(on_ms - 1)), "{flash:?} still on");
            assert!(!led.lit(ms(on_ms)), "{flash:?} off after {on_ms} ms");
            assert!(!led.lit(ms(on_ms + off_ms - 1)));
            assert!(led.lit(ms(on_ms + off_ms)), "{flash:?} period");
            // The pattern repeats exactly, hours later.
            let hours = 36 * 3600 * 1000;
            assert_eq!(led.lit(ms(hours)), led.lit(ms(0)));
        }
        assert_eq!(lit_samples(Led::Flashing(Flash::One), 4000), [0]);
        assert_eq!(lit_samples(Led::Flashing(Flash::Three), 2000), [0, 250]);
    }

    #[test]
    fn lesso_rows() {
        use Flash::*;
        use Led::*;
        let t = LedTable::Lesso;
        let row = |mode, warning| {
            let p = t.pattern(&inputs(mode, warning, 60.0));
            (p.run, p.alm, p.level)
        };
        let soc = vec![On, On, On, Off];
        let charging = vec![On, On, Flashing(Two), Off];
        let dark = vec![Off; 4];
        assert_eq!(row(LedMode::Off, false), (Off, Off, dark.clone()));
        assert_eq!(
            row(LedMode::Standby, false),
            (Flashing(One), Off, soc.clone())
        );
        assert_eq!(
            row(LedMode::Standby, true),
            (Flashing(One), Flashing(Three), soc.clone())
        );
        assert_eq!(row(LedMode::Charging, false), (On, Off, charging.clone()));
        assert_eq!(
            row(LedMode::Charging, true),
            (On, Flashing(Three), charging)
        );
        assert_eq!(
            row(LedMode::ChargeStopped, false),
            (Flashing(One), Off, soc.clone())
        );
        assert_eq!(
            row(LedMode::Discharging, false),
            (Flashing(Three), Off, soc.clone())
        );
        assert_eq!(
            row(LedMode::Discharging, true),
            (Flashing(Three), Flashing(Three), soc)
        );
        assert_eq!(
            row(LedMode::UnderVoltage, false),
            (Off, Flashing(Three), dark.clone())
        );
        assert_eq!(row(LedMode::Protection, false), (Off, On, dark.clone()));
        assert_eq!(row(LedMode::Failure, false), (Off, On, dark));
    }

    #[test]
    fn losun_rows() {
        use Flash::*;
        use Led::*;
        let t = LedTable::Losun;
        let row = |mode| {
            let p = t.pattern(&inputs(mode, false, 40.0));
            (p.run, p.alm, p.level)
        };
        let level = vec![On, On, On, Off, Off, Off];
        let charging = vec![On, On, Flashing(Two), Off, Off, Off];
        let dark = vec![Off; 6];
        assert_eq!(row(LedMode::Off), (Off, Off, dark.clone()));
        assert_eq!(row(LedMode::Standby), (Off, Off, level.clone()));
        assert_eq!(row(LedMode::Charging), (Off, Off, charging));
        assert_eq!(row(LedMode::FullCharged), (On, Off, vec![On; 6]));
        assert_eq!(row(LedMode::Discharging), (Flashing(Three), On, level));
        assert_eq!(row(LedMode::UnderVoltage), (On, On, dark.clone()));
        assert_eq!(row(LedMode::ChargeStopped), (Off, On, dark.clone()));
        assert_eq!(row(LedMode::Protection), (Off, On, dark.clone()));
        assert_eq!(row(LedMode::Failure), (Off, On, dark));
    }

    #[test]
    fn level_bands_of_each_table() {
        let lesso = |soc| lit_count(soc, LESSO_BANDS);
        assert_eq!(
            [0.0, 25.0, 25.5, 50.0, 75.5, 100.0].map(lesso),
            [1, 1, 2, 2, 4, 4]
        );
        // LOSUN 2.5: 0~17 %, 18~33 %, 34~50 %, 51~66 %, 67~83 %, 84~100 %.
        let losun = |soc| lit_count(soc, LOSUN_BANDS);
        assert_eq!(
            [
                10.0, 17.0, 18.0, 33.0, 34.0, 50.0, 51.0, 66.0, 67.0, 84.0, 100.0
            ]
            .map(losun),
            [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 6]
        );
        assert_eq!(lit_count(f64::NAN, LESSO_BANDS), 1);
    }

    #[test]
    fn charging_flashes_the_highest_lit_led_only() {
        let p = LedTable::Lesso.pattern(&inputs(LedMode::Charging, false, 10.0));
        assert_eq!(p.level[0], Led::Flashing(Flash::Two));
        let lit = p.at(ms(600));
        assert_eq!(lit.level, [false, false, false, false]);
        assert_eq!(p.at(ms(1000)).level, [true, false, false, false]);
    }

    #[test]
    fn flash3_as_flash2_changes_only_the_flash3_leds() {
        let mut p = LedPattern {
            run: Led::Flashing(Flash::Three),
            alm: Led::Flashing(Flash::One),
            level: vec![Led::On, Led::Flashing(Flash::Three), Led::Off],
        };
        p.flash3_as_flash2();
        assert_eq!(p.run, Led::Flashing(Flash::Two));
        assert_eq!(p.alm, Led::Flashing(Flash::One));
        assert_eq!(
            p.level,
            [Led::On, Led::Flashing(Flash::Two), Led::Off].to_vec()
        );
    }
}
