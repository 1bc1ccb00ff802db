//! The command text of each source/sink operation, per vendor dialect.
//!
//! Vendor differences live here and nowhere else (DESIGN.md "Drivers"): plans and the
//! driver speak of parameters in driver units (volts; amps as magnitudes), and the
//! dialect renders them the way the instrument wants them, sign conventions included
//! (protocols.md §4.3, §4.4). Numbers are written with 3 decimals, the resolution
//! every instrument of §4.3 accepts.
//!
//! | | Generic | Keysight RP7900/N6900 | ITECH IT6000C | EA PSB 9000 | Chroma 62000D |
//! | --- | --- | --- | --- | --- | --- |
//! | remote | — | — | `SYST:REM` | `SYST:LOCK ON` | `CONF:REM ON` \[U\] |
//! | voltage | `SOUR:VOLT` | `SOUR:VOLT` | `VOLT` | `VOLT` | `SOUR:VOLT` |
//! | source limit | `SOUR:CURR:LIM:POS` | `SOUR:CURR:LIM` | `CURR:LIM` | `CURR` | `SOUR:CURR` |
//! | sink limit | `…:LIM:NEG -A` | `SOUR:CURR:LIM:NEG -A` | `CURR:LIM:NEG -A` | `SINK:CURR A` | not supported \[U\] |
//! | OVP | `SOUR:VOLT:PROT` | `SOUR:VOLT:PROT` | `VOLT:PROT` | `SOUR:VOLT:PROT` | `SOUR:VOLT:PROT:HIGH` |
//! | OCP | `SOUR:CURR:PROT` | trips at the limit: `SOUR:CURR:PROT:STAT ON` | `CURR:OVER:PROT:LEV` + `:STAT ON` | `SOUR:CURR:PROT` | `SOUR:CURR:PROT:HIGH` |
//! | output | `OUTP` | `OUTP` | `OUTP` | `OUTP` | `CONF:OUTP` |
//! | measure | `MEAS:*?` | `MEAS:*?` | `MEAS:*?` | `MEAS:*?` (units) | `FETC:*?` |
//! | `*OPC?` after output | no | yes | yes | yes | yes |

use std::fmt;
use std::str::FromStr;

/// A programmable value of a DC source/sink, in driver units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parameter {
    /// Voltage set point, V.
    Voltage,
    /// Current limit when sourcing (charging the battery), A.
    CurrentLimit,
    /// Current limit when sinking (discharging the battery), A, as a magnitude.
    SinkLimit,
    /// Over-voltage protection level, V.
    OverVoltageProtection,
    /// Over-current protection level, A, a magnitude for both directions.
    OverCurrentProtection,
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Parameter::Voltage => "voltage set point",
            Parameter::CurrentLimit => "source current limit",
            Parameter::SinkLimit => "sink current limit",
            Parameter::OverVoltageProtection => "over-voltage protection",
            Parameter::OverCurrentProtection => "over-current protection",
        })
    }
}

/// How an instrument family spells its commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// The rig's reference dialect, spoken by the simulated source in `sim/`. Close to
    /// Keysight's two-quadrant APS: the sink limit is a negative number.
    #[default]
    Generic,
    /// Keysight RP7900 / N6900-N7900 APS, two-quadrant (§4.3 first column).
    KeysightRp7900,
    /// ITECH IT6000C bidirectional, raw socket port 30000 (§4.1, §4.3).
    ItechIt6000c,
    /// EA PSB 9000/10000: `SYST:LOCK ON` first, sink limit as a positive magnitude,
    /// units in replies (§4.3, §4.4).
    EaPsb9000,
    /// Chroma 62000D: `CONF:OUTP`, `FETC:*` (§4.3, "62000D bidirectional similar \[U\]").
    Chroma62000d,
}

/// How a dialect protects against over-current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcpMode {
    /// A programmable level, written and read back like any setting.
    Level,
    /// Keysight APS: OCP trips when the output enters current limit; the level is the
    /// current limit itself, so the driver only switches it on and reads the state
    /// back (`SOUR:CURR:PROT:STAT ON`, §4.3 "\[S11\]/\[U\]").
    TripAtLimit,
}

impl Dialect {
    /// Every dialect, for tables and error messages.
    pub const ALL: [Dialect; 5] = [
        Dialect::Generic,
        Dialect::KeysightRp7900,
        Dialect::ItechIt6000c,
        Dialect::EaPsb9000,
        Dialect::Chroma62000d,
    ];

    /// The bench-file name.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Generic => "generic",
            Dialect::KeysightRp7900 => "keysight-rp7900",
            Dialect::ItechIt6000c => "itech-it6000c",
            Dialect::EaPsb9000 => "ea-psb9000",
            Dialect::Chroma62000d => "chroma-62000d",
        }
    }

    /// The TCP port of the instrument's raw socket (§4.1).
    pub fn default_port(self) -> u16 {
        match self {
            Dialect::ItechIt6000c => 30000,
            _ => 5025,
        }
    }

    /// Commands sent once after `*CLS` when the driver opens: taking remote control.
    pub fn open_commands(self) -> &'static [&'static str] {
        match self {
            Dialect::Generic | Dialect::KeysightRp7900 => &[],
            Dialect::ItechIt6000c => &["SYST:REM"],
            Dialect::EaPsb9000 => &["SYST:LOCK ON"],
            Dialect::Chroma62000d => &["CONF:REM ON"],
        }
    }

    /// Commands handing the front panel back when the rig is done.
    pub fn release_commands(self) -> &'static [&'static str] {
        match self {
            Dialect::Generic | Dialect::KeysightRp7900 => &[],
            Dialect::ItechIt6000c => &["SYST:LOC"],
            Dialect::EaPsb9000 => &["SYST:LOCK OFF"],
            Dialect::Chroma62000d => &["CONF:REM OFF"],
        }
    }

    /// Whether output changes are confirmed with `*OPC?` before the driver returns.
    /// The simulated source answers at once, so Generic skips it and its traffic stays
    /// exactly what the virtual bench expects.
    pub fn waits_for_completion(self) -> bool {
        !matches!(self, Dialect::Generic)
    }

    pub fn ocp_mode(self) -> OcpMode {
        match self {
            Dialect::KeysightRp7900 => OcpMode::TripAtLimit,
            _ => OcpMode::Level,
        }
    }

    /// Whether the dialect can set `parameter` at all.
    pub fn supports(self, parameter: Parameter) -> bool {
        self.set(parameter, 0.0).is_some()
    }

    /// The command setting `parameter` to `value` (driver units); `None` where the
    /// instrument has no such setting.
    pub fn set(self, parameter: Parameter, value: f64) -> Option<String> {
        use Dialect as D;
        use Parameter as P;
        let v = fixed3(value);
        let neg = fixed3(-value);
        Some(match (self, parameter) {
            (D::Generic, P::Voltage) => format!("SOUR:VOLT {v}"),
            (D::Generic, P::CurrentLimit) => format!("SOUR:CURR:LIM:POS {v}"),
            (D::Generic, P::SinkLimit) => format!("SOUR:CURR:LIM:NEG {neg}"),
            (D::Generic, P::OverVoltageProtection) => format!("SOUR:VOLT:PROT {v}"),
            (D::Generic, P::OverCurrentProtection) => format!("SOUR:CURR:PROT {v}"),

            (D::KeysightRp7900, P::Voltage) => format!("SOUR:VOLT {v}"),
            (D::KeysightRp7900, P::CurrentLimit) => format!("SOUR:CURR:LIM {v}"),
            (D::KeysightRp7900, P::SinkLimit) => format!("SOUR:CURR:LIM:NEG {neg}"),
            (D::KeysightRp7900, P::OverVoltageProtection) => format!("SOUR:VOLT:PROT {v}"),
            (D::KeysightRp7900, P::OverCurrentProtection) => "SOUR:CURR:PROT:STAT ON".into(),

            (D::ItechIt6000c, P::Voltage) => format!("VOLT {v}"),
            (D::ItechIt6000c, P::CurrentLimit) => format!("CURR:LIM {v}"),
            (D::ItechIt6000c, P::SinkLimit) => format!("CURR:LIM:NEG {neg}"),
            (D::ItechIt6000c, P::OverVoltageProtection) => format!("VOLT:PROT {v}"),
            (D::ItechIt6000c, P::OverCurrentProtection) => format!("CURR:OVER:PROT:LEV {v}"),

            (D::EaPsb9000, P::Voltage) => format!("VOLT {v}"),
            (D::EaPsb9000, P::CurrentLimit) => format!("CURR {v}"),
            (D::EaPsb9000, P::SinkLimit) => format!("SINK:CURR {v}"),
            (D::EaPsb9000, P::OverVoltageProtection) => format!("SOUR:VOLT:PROT {v}"),
            (D::EaPsb9000, P::OverCurrentProtection) => format!("SOUR:CURR:PROT {v}"),

            (D::Chroma62000d, P::Voltage) => format!("SOUR:VOLT {v}"),
            (D::Chroma62000d, P::CurrentLimit) => format!("SOUR:CURR {v}"),
            (D::Chroma62000d, P::SinkLimit) => return None,
            (D::Chroma62000d, P::OverVoltageProtection) => format!("SOUR:VOLT:PROT:HIGH {v}"),
            (D::Chroma62000d, P::OverCurrentProtection) => format!("SOUR:CURR:PROT:HIGH {v}"),
        })
    }

    /// Commands that must follow a setting for it to take effect.
    pub fn after_set(self, parameter: Parameter) -> &'static [&'static str] {
        match (self, parameter) {
            (Dialect::ItechIt6000c, Parameter::OverCurrentProtection) => {
                &["CURR:OVER:PROT:STAT ON"]
            }
            _ => &[],
        }
    }

    /// The query reading `parameter` back; `None` where the dialect cannot set it.
    pub fn query(self, parameter: Parameter) -> Option<&'static str> {
        use Dialect as D;
        use Parameter as P;
        Some(match (self, parameter) {
            (D::Generic, P::Voltage) => "SOUR:VOLT?",
            (D::Generic, P::CurrentLimit) => "SOUR:CURR:LIM:POS?",
            (D::Generic, P::SinkLimit) => "SOUR:CURR:LIM:NEG?",
            (D::Generic, P::OverVoltageProtection) => "SOUR:VOLT:PROT?",
            (D::Generic, P::OverCurrentProtection) => "SOUR:CURR:PROT?",

            (D::KeysightRp7900, P::Voltage) => "SOUR:VOLT?",
            (D::KeysightRp7900, P::CurrentLimit) => "SOUR:CURR:LIM?",
            (D::KeysightRp7900, P::SinkLimit) => "SOUR:CURR:LIM:NEG?",
            (D::KeysightRp7900, P::OverVoltageProtection) => "SOUR:VOLT:PROT?",
            (D::KeysightRp7900, P::OverCurrentProtection) => "SOUR:CURR:PROT:STAT?",

            (D::ItechIt6000c, P::Voltage) => "VOLT?",
            (D::ItechIt6000c, P::CurrentLimit) => "CURR:LIM?",
            (D::ItechIt6000c, P::SinkLimit) => "CURR:LIM:NEG?",
            (D::ItechIt6000c, P::OverVoltageProtection) => "VOLT:PROT?",
            (D::ItechIt6000c, P::OverCurrentProtection) => "CURR:OVER:PROT:LEV?",

            (D::EaPsb9000, P::Voltage) => "VOLT?",
            (D::EaPsb9000, P::CurrentLimit) => "CURR?",
            (D::EaPsb9000, P::SinkLimit) => "SINK:CURR?",
            (D::EaPsb9000, P::OverVoltageProtection) => "SOUR:VOLT:PROT?",
            (D::EaPsb9000, P::OverCurrentProtection) => "SOUR:CURR:PROT?",

            (D::Chroma62000d, P::Voltage) => "SOUR:VOLT?",
            (D::Chroma62000d, P::CurrentLimit) => "SOUR:CURR?",
            (D::Chroma62000d, P::SinkLimit) => return None,
            (D::Chroma62000d, P::OverVoltageProtection) => "SOUR:VOLT:PROT:HIGH?",
            (D::Chroma62000d, P::OverCurrentProtection) => "SOUR:CURR:PROT:HIGH?",
        })
    }

    /// Converts the answer to [`Dialect::query`] back into driver units.
    pub fn reading(self, parameter: Parameter, answer: f64) -> f64 {
        match (self, parameter) {
            (
                Dialect::Generic | Dialect::KeysightRp7900 | Dialect::ItechIt6000c,
                Parameter::SinkLimit,
            ) => -answer,
            _ => answer,
        }
    }

    pub fn set_output(self, on: bool) -> &'static str {
        match (self, on) {
            (Dialect::Chroma62000d, true) => "CONF:OUTP ON",
            (Dialect::Chroma62000d, false) => "CONF:OUTP OFF",
            (_, true) => "OUTP ON",
            (_, false) => "OUTP OFF",
        }
    }

    /// Asks whether the output is on; the answer is `1`/`0` or `ON`/`OFF`.
    pub fn query_output(self) -> &'static str {
        match self {
            Dialect::Chroma62000d => "CONF:OUTP?",
            _ => "OUTP?",
        }
    }

    pub fn measure_voltage(self) -> &'static str {
        match self {
            Dialect::Chroma62000d => "FETC:VOLT?",
            _ => "MEAS:VOLT?",
        }
    }

    /// Measured current: positive into the battery (sourcing, charging), negative out
    /// of it (sinking, discharging).
    pub fn measure_current(self) -> &'static str {
        match self {
            Dialect::Chroma62000d => "FETC:CURR?",
            _ => "MEAS:CURR?",
        }
    }

    /// Measured power, W.
    pub fn measure_power(self) -> &'static str {
        match self {
            Dialect::Chroma62000d => "FETC:POW?",
            _ => "MEAS:POW?",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dialect name that is not known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown SCPI dialect `{name}` (known: generic, keysight-rp7900, itech-it6000c, ea-psb9000, chroma-62000d)"
)]
pub struct UnknownDialect {
    pub name: String,
}

impl FromStr for Dialect {
    type Err = UnknownDialect;

    /// The bench-file names, plus the obvious aliases (`keysight-n6900`, `ea-psb10000`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "generic" => Dialect::Generic,
            "keysight-rp7900" | "keysight-n6900" | "keysight-n7900" | "keysight" => {
                Dialect::KeysightRp7900
            }
            "itech-it6000c" | "itech-it-m3400" | "itech" => Dialect::ItechIt6000c,
            "ea-psb9000" | "ea-psb10000" | "ea" => Dialect::EaPsb9000,
            "chroma-62000d" | "chroma" => Dialect::Chroma62000d,
            _ => {
                return Err(UnknownDialect { name: s.to_owned() });
            }
        })
    }
}

/// Three decimals, and never `-0.000` (a zero sink limit is plain zero).
fn fixed3(value: f64) -> String {
    let value = if value == 0.0 { 0.0 } else { value };
    format!("{value:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Parameter as P;

    fn set(d: Dialect, p: Parameter, v: f64) -> String {
        d.set(p, v).unwrap_or_else(|| format!("<unsupported {p}>"))
    }

    #[test]
    fn generic_commands_are_exactly_what_the_simulated_source_expects() {
        let d = Dialect::Generic;
        let table = [
            (set(d, P::Voltage, 56.0), "SOUR:VOLT 56.000"),
            (set(d, P::CurrentLimit, 80.0), "SOUR:CURR:LIM:POS 80.000"),
            (set(d, P::SinkLimit, 50.0), "SOUR:CURR:LIM:NEG -50.000"),
            (set(d, P::SinkLimit, 0.0), "SOUR:CURR:LIM:NEG 0.000"),
            (
                set(d, P::OverVoltageProtection, 58.0),
                "SOUR:VOLT:PROT 58.000",
            ),
            (
                set(d, P::OverCurrentProtection, 105.0),
                "SOUR:CURR:PROT 105.000",
            ),
            (set(d, P::Voltage, 51.2344), "SOUR:VOLT 51.234"),
        ];
        for (rendered, expected) in table {
            assert_eq!(rendered, expected);
        }
        assert_eq!(d.query(P::Voltage), Some("SOUR:VOLT?"));
        assert_eq!(d.query(P::CurrentLimit), Some("SOUR:CURR:LIM:POS?"));
        assert_eq!(d.query(P::SinkLimit), Some("SOUR:CURR:LIM:NEG?"));
        assert_eq!(d.query(P::OverVoltageProtection), Some("SOUR:VOLT:PROT?"));
        assert_eq!(d.query(P::OverCurrentProtection), Some("SOUR:CURR:PROT?"));
        assert_eq!(d.set_output(true), "OUTP ON");
        assert_eq!(d.set_output(false), "OUTP OFF");
        assert_eq!(d.query_output(), "OUTP?");
        assert_eq!(d.measure_voltage(), "MEAS:VOLT?");
        assert_eq!(d.measure_current(), "MEAS:CURR?");
        assert!(d.open_commands().is_empty() && !d.waits_for_completion());
    }

    /// One row per dialect: remote, voltage, source limit, sink limit (50 A), OVP, OCP,
    /// output on, output query, measure V, I, P (protocols.md §4.3).
    const MANUAL_SPELLINGS: [(Dialect, [&str; 11]); 4] = [
        (
            Dialect::KeysightRp7900,
            [
                "",
                "SOUR:VOLT 56.000",
                "SOUR:CURR:LIM 80.000",
                "SOUR:CURR:LIM:NEG -50.000",
                "SOUR:VOLT:PROT 58.000",
                "SOUR:CURR:PROT:STAT ON",
                "OUTP ON",
                "OUTP?",
                "MEAS:VOLT?",
                "MEAS:CURR?",
                "MEAS:POW?",
            ],
        ),
        (
            Dialect::ItechIt6000c,
            [
                "SYST:REM",
                "VOLT 56.000",
                "CURR:LIM 80.000",
                "CURR:LIM:NEG -50.000",
                "VOLT:PROT 58.000",
                "CURR:OVER:PROT:LEV 105.000",
                "OUTP ON",
                "OUTP?",
                "MEAS:VOLT?",
                "MEAS:CURR?",
                "MEAS:POW?",
            ],
        ),
        (
            Dialect::EaPsb9000,
            [
                "SYST:LOCK ON",
                "VOLT 56.000",
                "CURR 80.000",
                "SINK:CURR 50.000",
                "SOUR:VOLT:PROT 58.000",
                "SOUR:CURR:PROT 105.000",
                "OUTP ON",
                "OUTP?",
                "MEAS:VOLT?",
                "MEAS:CURR?",
                "MEAS:POW?",
            ],
        ),
        (
            Dialect::Chroma62000d,
            [
                "CONF:REM ON",
                "SOUR:VOLT 56.000",
                "SOUR:CURR 80.000",
                "<unsupported sink current limit>",
                "SOUR:VOLT:PROT:HIGH 58.000",
                "SOUR:CURR:PROT:HIGH 105.000",
                "CONF:OUTP ON",
                "CONF:OUTP?",
                "FETC:VOLT?",
                "FETC:CURR?",
                "FETC:POW?",
            ],
        ),
    ];

    /// A dialect's commands in the order of a [`MANUAL_SPELLINGS`] row.
    fn rendered(d: Dialect) -> [String; 11] {
        [
            d.open_commands().join(";"),
            set(d, P::Voltage, 56.0),
            set(d, P::CurrentLimit, 80.0),
            set(d, P::SinkLimit, 50.0),
            set(d, P::OverVoltageProtection, 58.0),
            set(d, P::OverCurrentProtection, 105.0),
            d.set_output(true).to_owned(),
            d.query_output().to_owned(),
            d.measure_voltage().to_owned(),
            d.measure_current().to_owned(),
            d.measure_power().to_owned(),
        ]
    }

    #[test]
    fn every_dialect_renders_its_manual_spelling() {
        for (d, expected) in MANUAL_SPELLINGS {
            assert_eq!(rendered(d), expected.map(String::from), "{d}");
            assert!(d.waits_for_completion(), "{d}");
        }
    }

    #[test]
    fn dialect_quirks_follow_their_manuals() {
        assert_eq!(
            Dialect::ItechIt6000c.after_set(P::OverCurrentProtection),
            ["CURR:OVER:PROT:STAT ON"]
        );
        assert_eq!(Dialect::EaPsb9000.release_commands(), ["SYST:LOCK OFF"]);
        assert_eq!(Dialect::ItechIt6000c.default_port(), 30000);
    }

    #[test]
    fn sink_limits_read_back_as_magnitudes_in_every_sign_convention() {
        assert_eq!(Dialect::Generic.reading(P::SinkLimit, -50.0), 50.0);
        assert_eq!(Dialect::KeysightRp7900.reading(P::SinkLimit, -50.0), 50.0);
        assert_eq!(Dialect::ItechIt6000c.reading(P::SinkLimit, -50.0), 50.0);
        assert_eq!(Dialect::EaPsb9000.reading(P::SinkLimit, 50.0), 50.0);
        assert_eq!(Dialect::Generic.reading(P::Voltage, 56.0), 56.0);
        assert!(!Dialect::Chroma62000d.supports(P::SinkLimit));
        assert_eq!(Dialect::Chroma62000d.query(P::SinkLimit), None);
    }

    #[test]
    fn names_parse_back() {
        for d in Dialect::ALL {
            assert_eq!(d.name().parse::<Dialect>(), Ok(d));
        }
        assert_eq!("EA".parse::<Dialect>(), Ok(Dialect::EaPsb9000));
        assert!("rigol".parse::<Dialect>().is_err());
    }
}
