//! One bench entry per driver family, as the drivers are organised (`scpi`, `chamber`,
//! `relays`/`modbus`, `can`, `rs485`): the fields a family takes beyond the ones every
//! instrument has, how it checks them, and which resources reach its drivers.
//!
//! Every instrument has `driver`, `resource`, `poll`, `timeout` and `ratings`, checked
//! in [`super::instrument`] (which also reads `silence` as a duration, though only a CAN
//! link takes it). Each field of [`Field::OF_SOME_DRIVERS`] belongs to some drivers
//! only; any other driver refuses it with the message of [`Field::refusal`].
//!
//! Adding a driver: name it in [`Driver`], give it a role, and let its family's
//! [`Family::fields`], [`Family::fits`] and [`Family::check`] say what it takes; a new
//! field goes into the raw format (`file.rs`), [`Field`] and the one family that owns it.

mod board;
mod can;
mod chamber;
mod rs232;
mod rs485;
mod source;

use std::path::Path;

use rig_drivers::transport::Endpoint;
use serde_saphyr::{Location, Spanned};

pub(super) use board::{WireKind, WrongWire, check_wire};

use super::driver::{Driver, Role};
use super::file::RawInstrument;
use super::instrument::Settings;
use crate::diag::{Problem, Problems, SourceFile, Span};

/// A driver family's bench entry.
pub(super) trait Family {
    /// The fields of [`Field::OF_SOME_DRIVERS`] that `driver` takes; other drivers
    /// refuse them.
    fn fields(&self, driver: Driver) -> &'static [Field];

    /// Whether a real resource reaches `driver`; `Err` says what would. (Every driver
    /// reaches its endpoint of the virtual bench.)
    fn fits(&self, driver: Driver, resource: &Endpoint) -> Result<(), &'static str>;

    /// How often the runner samples an instrument of the family unless `poll:` says.
    fn default_poll_s(&self) -> f64 {
        1.0
    }

    /// Checks the fields `driver` takes into `s`, with the problems under their field.
    fn check(&self, driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings);
}

/// The bench entry of a driver's family.
pub(super) fn family(driver: Driver) -> &'static dyn Family {
    match driver.role() {
        Role::Source => &source::Source,
        Role::Chamber => &chamber::Chamber,
        Role::Board => &board::Board,
        Role::Can => &can::Can,
        Role::Rs485 => &rs485::Rs485,
        Role::Rs232 => &rs232::Rs232,
    }
}

/// An instrument's optional fields, in the order their problems are reported whichever
/// family finds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Field {
    Dialect,
    Loop,
    RunEvent,
    Address,
    Unit,
    Channels,
    Dbc,
    Poll,
    Timeout,
    Silence,
    Calibration,
    Ratings,
}

impl Field {
    /// The fields some drivers only take.
    const OF_SOME_DRIVERS: [Field; 8] = [
        Field::Dialect,
        Field::Loop,
        Field::RunEvent,
        Field::Address,
        Field::Unit,
        Field::Channels,
        Field::Dbc,
        Field::Silence,
    ];

    /// What an instrument that does not take the field is told; `None`: every
    /// instrument takes it.
    fn refusal(self) -> Option<&'static str> {
        Some(match self {
            Field::Dialect => "`dialect` applies to `scpi-source` and `scpi-load` instruments only",
            Field::Loop => "`loop` applies to Watlow chambers only",
            Field::RunEvent => "`run_event` applies to Watlow chambers only",
            Field::Address => {
                "`address` applies to `pylontech-rs485` links and ESPEC controllers only"
            }
            Field::Unit => "`unit` applies to Modbus instruments only",
            Field::Channels => "`channels` applies to `numato-relay` modules only",
            Field::Dbc => "`dbc` applies to `bms-can` instruments only",
            Field::Silence => "`silence` applies to `bms-can` instruments only",
            Field::Poll | Field::Timeout | Field::Calibration | Field::Ratings => return None,
        })
    }

    /// Where the field is written, if it is.
    fn written(self, raw: &RawInstrument) -> Option<&Location> {
        match self {
            Field::Dialect => raw.dialect.as_ref().map(|f| &f.referenced),
            Field::Loop => raw.control_loop.as_ref().map(|f| &f.referenced),
            Field::RunEvent => raw.run_event.as_ref().map(|f| &f.referenced),
            Field::Address => raw.address.as_ref().map(|f| &f.referenced),
            Field::Unit => raw.unit.as_ref().map(|f| &f.referenced),
            Field::Channels => raw.channels.as_ref().map(|f| &f.referenced),
            Field::Dbc => raw.dbc.as_ref().map(|f| &f.referenced),
            Field::Poll => raw.poll.as_ref().map(|f| &f.referenced),
            Field::Timeout => raw.timeout.as_ref().map(|f| &f.referenced),
            Field::Silence => raw.silence.as_ref().map(|f| &f.referenced),
            Field::Calibration => raw.calibration_due.as_ref().map(|f| &f.referenced),
            Field::Ratings => None,
        }
    }
}

/// Refuses each field `driver` does not take (every such field when the driver is
/// unknown).
pub(super) fn refuse_other_fields(driver: Option<Driver>, raw: &RawInstrument, cx: &mut Check) {
    let takes = driver.map_or(&[][..], |d| family(d).fields(d));
    for field in Field::OF_SOME_DRIVERS {
        if let (Some(at), Some(refusal)) = (field.written(raw), field.refusal())
            && !takes.contains(&field)
        {
            let span = Span::of_scalar(at, &cx.file.text);
            cx.push(field, Problem::at(cx.file, span, refusal));
        }
    }
}

/// The Modbus unit of an instrument: the bench's `unit:` or the resource's `unit=`, which
/// must agree where both are written (1 when neither is). Unit 0 is the broadcast
/// address on an RS485 line (every device obeys, none answers), and 248-255 are
/// reserved (Modbus over serial line, 2.2): refused wherever the frames end up on RTU.
/// Over Modbus TCP to a device's own port, 0 and 255 mean "the device itself".
pub(super) fn modbus_unit(raw: &RawInstrument, rtu_on_the_wire: bool, cx: &mut Check<'_>) -> u8 {
    let resource = raw.resource.value.parse::<Endpoint>().ok();
    // A resource's unit counts only where it is written: the parser defaults it to 1.
    let written_in_resource = raw.resource.value.contains("unit=");
    let from_resource = match resource {
        Some(Endpoint::ModbusTcp { unit, .. } | Endpoint::ModbusRtu { unit, .. })
            if written_in_resource =>
        {
            Some(unit)
        }
        _ => None,
    };
    let unit = match (&raw.unit, from_resource) {
        (Some(u), Some(r)) if u.value != r => {
            let problem = cx.problem(
                u,
                format!(
                    "`unit: {}` disagrees with the resource's `unit={r}`: the device answers at one address",
                    u.value
                ),
            );
            cx.push(Field::Unit, problem);
            return r;
        }
        (Some(u), _) => u.value,
        (None, Some(r)) => r,
        (None, None) => 1,
    };
    let modbus_tcp = matches!(resource, Some(Endpoint::ModbusTcp { .. }));
    let valid = if rtu_on_the_wire || !modbus_tcp {
        (1..=247).contains(&unit)
    } else {
        true
    };
    if !valid {
        let message = format!(
            "unit {unit} is not a device address: 0 is the broadcast address (no device answers it) and 248-255 are reserved; a device has 1 to 247"
        );
        let problem = match &raw.unit {
            Some(u) => cx.problem(u, message),
            None => cx.problem(&raw.resource, message),
        };
        cx.push(Field::Unit, problem);
    }
    unit
}

/// What checking one instrument's fields needs, and the problems found, each under
/// its field so that they come out in [`Field`] order.
pub(super) struct Check<'a> {
    pub file: &'a SourceFile,
    /// The bench file's folder: DBC paths are relative to it.
    pub base_dir: &'a Path,
    /// The instrument's name.
    pub name: &'a str,
    problems: Vec<(Field, Problem)>,
}

impl<'a> Check<'a> {
    pub fn new(file: &'a SourceFile, base_dir: &'a Path, name: &'a str) -> Self {
        Check {
            file,
            base_dir,
            name,
            problems: Vec::new(),
        }
    }

    /// Where a field's value is.
    pub fn at<T>(&self, field: &Spanned<T>) -> Span {
        Span::of_scalar(&field.referenced, &self.file.text)
    }

    /// A problem at a field's value.
    pub fn problem<T>(&self, field: &Spanned<T>, message: impl Into<String>) -> Problem {
        Problem::at(self.file, self.at(field), message)
    }

    pub fn push(&mut self, field: Field, problem: Problem) {
        self.problems.push((field, problem));
    }

    /// The problems in field order; in the order found within a field.
    pub fn into_problems(mut self) -> Problems {
        self.problems.sort_by_key(|(field, _)| *field);
        let mut out = Problems::default();
        for (_, p) in self.problems {
            out.push(p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each field some drivers only take is taken by at least one driver and refused by
    /// at least one other, and says so.
    #[test]
    fn every_family_field_has_an_owner_and_a_refusal() {
        let drivers = Driver::ALL.iter().map(|(_, d)| *d);
        for field in Field::OF_SOME_DRIVERS {
            let owners = drivers
                .clone()
                .filter(|d| family(*d).fields(*d).contains(&field))
                .count();
            assert!(owners >= 1, "{field:?} has no driver");
            assert!(owners < Driver::ALL.len(), "{field:?} is every driver's");
            assert!(field.refusal().is_some_and(|r| r.contains("only")));
        }
    }

    /// A family takes only fields of the table, never the common ones.
    #[test]
    fn no_family_claims_a_common_field() {
        for (name, d) in Driver::ALL {
            for field in family(*d).fields(*d) {
                assert!(field.refusal().is_some(), "{name} claims {field:?}");
            }
        }
    }
}
