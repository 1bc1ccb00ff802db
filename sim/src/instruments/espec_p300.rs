//! A simulated ESPEC P-300 chamber controller (protocols.md 5.3, ESPEC North America's
//! ChamberConnectLibrary `p300.py` for the reply layouts), over the same chamber air as
//! the Watlow front ends.
//!
//! ASCII, one command per line ended by CR LF, one reply line ended by CR LF. Queries
//! answer their value; settings answer `OK: ` and the command; refusals start with
//! `NA:` (`NA:CMD ERR` for a command the controller does not know, `NA:DATA OUT OF
//! RANGE` for a value outside the controller's limits). On RS-485 a command may carry
//! the controller's address (`1,TEMP?`); a command for another address gets no reply.
//! Keywords are matched without regard to case (`p300.py` sends `POWER,off`).
//!
//! | Command | Reply |
//! | --- | --- |
//! | `TEMP?` | `PV,SP,upper_limit,lower_limit`, one decimal |
//! | `TEMP, S25.0`, `TEMP, H85.0`, `TEMP, L-40.0`, or all three | `OK: …`; the set point must lie within the limits, the limits within the chamber's range |
//! | `MON?` (`,DETAIL`) | `temp,humidity,mode,alarm_count` (humidity empty: a temperature-only chamber) |
//! | `MODE?` (`,DETAIL`) | `OFF`, `STANDBY` or `CONSTANT` |
//! | `MODE,OFF` / `MODE,STANDBY` / `MODE,CONSTANT` | `OK: …`; only CONSTANT conditions the air |
//! | `POWER,ON` / `POWER,OFF` | constant mode / controller off |
//! | `ALARM?` | `0` (alarm count, then codes; alarms are not modelled) |
//! | `ROM?` (`,DISP`) | the firmware version |
//!
//! Not modelled, answered `NA:CMD ERR` as by a controller without them: humidity
//! (`HUMI…`), programs (`PRGM…`, `MODE,RUN…`), timers, date and time. That a
//! temperature-only P-300 refuses `HUMI?` this way is an assumption \[U\].

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::lines::{Line, LineReader};
use super::watlow_f4t::{ChamberAir, RANGE_C};
use crate::clock;
use crate::world::{World, lock};

/// §5.3: "errors start with `NA:`".
const UNKNOWN_COMMAND: &str = "NA:CMD ERR";
const OUT_OF_RANGE: &str = "NA:DATA OUT OF RANGE";
/// The controller's RS-485 address. Assumption: 1, the ESPEC library's usual address.
const ADDRESS: u32 = 1;
/// `ROM?` answer: what the simulated controller calls its firmware.
const ROM_VERSION: &str = "RIG-SIM P-300 1.0";

/// The controller's operating mode while it is not conditioning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stopped {
    Off,
    Standby,
}

/// The P-300's own settings; the air it drives lives in the world.
#[derive(Clone, Debug)]
pub(crate) struct EspecState {
    stopped: Stopped,
    /// Upper / lower temperature limits (`TEMP, H… L…`), °C.
    high_c: f64,
    low_c: f64,
}

impl Default for EspecState {
    /// Standby, limits at the chamber's range.
    fn default() -> Self {
        Self {
            stopped: Stopped::Standby,
            high_c: RANGE_C.1,
            low_c: RANGE_C.0,
        }
    }
}

/// A temperature as the controller prints it: one decimal, no negative zero.
fn celsius(value: f64) -> String {
    let text = format!("{value:.1}");
    if text == "-0.0" { "0.0".into() } else { text }
}

/// `S25.0 H85.0 L-40.0`: each present value, or `None` if a token is not one of them.
fn temperature_settings(arguments: &str) -> Option<[Option<f64>; 3]> {
    let mut values = [None; 3];
    let mut any = false;
    for token in arguments.split_whitespace() {
        let (key, number) = token.split_at_checked(1)?;
        let slot = match key.to_ascii_uppercase().as_str() {
            "S" => 0,
            "H" => 1,
            "L" => 2,
            _ => return None,
        };
        let value = number.parse::<f64>().ok().filter(|v| v.is_finite())?;
        values[slot] = Some(value);
        any = true;
    }
    any.then_some(values)
}

impl EspecState {
    fn mode(&self, air: &ChamberAir) -> &'static str {
        match (air.running(), self.stopped) {
            (true, _) => "CONSTANT",
            (false, Stopped::Off) => "OFF",
            (false, Stopped::Standby) => "STANDBY",
        }
    }

    /// The reply to one line, without its CR LF; `None` for another address.
    pub(crate) fn reply(&mut self, air: &mut ChamberAir, line: &str) -> Option<String> {
        let line = line.trim();
        let command = match line.split_once(',') {
            Some((address, rest))
                if !address.is_empty() && address.bytes().all(|b| b.is_ascii_digit()) =>
            {
                if address.parse::<u32>().ok() != Some(ADDRESS) {
                    return None;
                }
                rest.trim()
            }
            _ => line,
        };
        Some(self.execute(air, command))
    }

    fn execute(&mut self, air: &mut ChamberAir, command: &str) -> String {
        let upper = command.to_ascii_uppercase();
        let (head, argument) = match upper.split_once(',') {
            Some((head, argument)) => (head.trim(), Some(argument.trim())),
            None => (upper.trim(), None),
        };
        let ok = || format!("OK: {command}");
        match (head, argument) {
            ("TEMP?", None) => format!(
                "{},{},{},{}",
                celsius(air.air_c()),
                celsius(air.set_point_c()),
                celsius(self.high_c),
                celsius(self.low_c)
            ),
            ("TEMP", Some(arguments)) => match temperature_settings(arguments) {
                None => UNKNOWN_COMMAND.into(),
                Some(values) if self.set_temperature(air, values) => ok(),
                Some(_) => OUT_OF_RANGE.into(),
            },
            ("MON?", None | Some("DETAIL")) => {
                format!("{},,{},0", celsius(air.air_c()), self.mode(air))
            }
            ("MODE?", None | Some("DETAIL")) => self.mode(air).into(),
            ("MODE", Some("OFF")) | ("POWER", Some("OFF")) => {
                self.stop(air, Stopped::Off);
                ok()
            }
            ("MODE", Some("STANDBY")) => {
                self.stop(air, Stopped::Standby);
                ok()
            }
            ("MODE", Some("CONSTANT")) | ("POWER", Some("ON")) => {
                air.set_running(true);
                ok()
            }
            ("ALARM?", None) => "0".into(),
            ("ROM?", None | Some("DISP")) => ROM_VERSION.into(),
            _ => UNKNOWN_COMMAND.into(),
        }
    }

    fn stop(&mut self, air: &mut ChamberAir, mode: Stopped) {
        self.stopped = mode;
        air.set_running(false);
    }

    /// Set point, upper and lower limit, all or nothing: the limits inside the
    /// chamber's range, the set point between them.
    fn set_temperature(&mut self, air: &mut ChamberAir, [sp, high, low]: [Option<f64>; 3]) -> bool {
        let high = high.unwrap_or(self.high_c);
        let low = low.unwrap_or(self.low_c);
        let set_point = sp.unwrap_or(air.set_point_c());
        let in_range = |v: f64| (RANGE_C.0..=RANGE_C.1).contains(&v);
        let valid = in_range(high) && in_range(low) && low < high;
        // Only a set point being written must lie within the limits.
        let valid = valid && sp.is_none_or(|_| (low..=high).contains(&set_point));
        if valid && air.set_set_point(set_point) {
            self.high_c = high;
            self.low_c = low;
            true
        } else {
            false
        }
    }
}

/// Answer ESPEC commands on `io` until the peer closes it.
pub(crate) async fn serve_espec<T>(world: Arc<Mutex<World>>, io: T) -> std::io::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, mut writer) = tokio::io::split(io);
    let mut lines = LineReader::new(reader);
    while let Some(line) = lines.next_line().await? {
        let reply = match line {
            // A line that overflowed the controller's buffer is no command it knows.
            Line::Overlong => Some(UNKNOWN_COMMAND.to_owned()),
            Line::Text(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let mut guard = lock(&world);
                let world = &mut *guard;
                world.advance_to(clock::now());
                let reply = world.front_ends.espec.reply(&mut world.chamber.air, &text);
                world.settle();
                reply
            }
        };
        if let Some(reply) = reply {
            writer.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(state: &mut EspecState, air: &mut ChamberAir, line: &str) -> String {
        state.reply(air, line).unwrap()
    }

    #[test]
    fn reads_and_sets_the_temperature_as_in_section_5_3() {
        let (mut c, mut air) = (EspecState::default(), ChamberAir::new(23.04));
        assert_eq!(run(&mut c, &mut air, "TEMP?"), "23.0,25.0,150.0,-40.0");
        assert_eq!(run(&mut c, &mut air, "TEMP, S-10.5"), "OK: TEMP, S-10.5");
        assert_eq!(
            run(&mut c, &mut air, "TEMP, S25.0 H85.0 L-40.0"),
            "OK: TEMP, S25.0 H85.0 L-40.0"
        );
        assert_eq!(run(&mut c, &mut air, "TEMP?"), "23.0,25.0,85.0,-40.0");
        assert_eq!(run(&mut c, &mut air, "TEMP, S90.0"), OUT_OF_RANGE);
        assert_eq!(run(&mut c, &mut air, "TEMP, H200"), OUT_OF_RANGE);
        assert_eq!(run(&mut c, &mut air, "TEMP, L90 H80"), OUT_OF_RANGE);
        assert_eq!(run(&mut c, &mut air, "TEMP, X5"), UNKNOWN_COMMAND);
        assert_eq!(run(&mut c, &mut air, "TEMP, Snan"), UNKNOWN_COMMAND);
        assert_eq!(run(&mut c, &mut air, "TEMP,"), UNKNOWN_COMMAND);
        assert_eq!(air.set_point_c(), 25.0, "refusals change nothing");
    }

    #[test]
    fn modes_and_power_switch_the_conditioning() {
        let (mut c, mut air) = (EspecState::default(), ChamberAir::new(25.0));
        assert_eq!(run(&mut c, &mut air, "MODE?"), "STANDBY");
        assert_eq!(run(&mut c, &mut air, "POWER,ON"), "OK: POWER,ON");
        assert!(air.running());
        assert_eq!(run(&mut c, &mut air, "MON?"), "25.0,,CONSTANT,0");
        assert_eq!(run(&mut c, &mut air, "POWER,off"), "OK: POWER,off");
        assert!(!air.running());
        assert_eq!(run(&mut c, &mut air, "MODE?,DETAIL"), "OFF");
        assert_eq!(run(&mut c, &mut air, "mode,constant"), "OK: mode,constant");
        assert!(air.running());
        run(&mut c, &mut air, "MODE,STANDBY");
        assert_eq!(run(&mut c, &mut air, "MODE?"), "STANDBY");
        assert!(!air.running());
    }

    #[test]
    fn unknown_commands_and_addresses() {
        let (mut c, mut air) = (EspecState::default(), ChamberAir::new(25.0));
        for line in [
            "HUMI?",
            "PRGM,RUN,RAM:1,STEP1",
            "MODE,RUN1",
            "FOO",
            "",
            "TEMP?,X",
        ] {
            assert_eq!(run(&mut c, &mut air, line), UNKNOWN_COMMAND, "{line}");
        }
        assert_eq!(run(&mut c, &mut air, "1,MODE?"), "STANDBY");
        assert_eq!(c.reply(&mut air, "2,MODE?"), None);
        assert_eq!(c.reply(&mut air, "99999999999999999999,MODE?"), None);
        assert_eq!(run(&mut c, &mut air, "ALARM?"), "0");
        assert_eq!(run(&mut c, &mut air, "ROM?"), ROM_VERSION);
    }
}
