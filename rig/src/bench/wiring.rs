//! How the pack is wired to the boards: `relays:` and `inputs:` by the names plans use,
//! each a channel of a board, numbered as that board numbers it.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::driver::Role;
use super::entry::{WireKind, WrongWire, check_wire};
use super::file::{RawInput, RawRelay};
use super::instrument::InstrumentSpec;
use crate::diag::{Problem, Problems, SourceFile, Span};

/// A relay or an input on a board.
#[derive(Clone, Debug)]
pub struct BoardWire {
    pub board: String,
    /// Channel or input number as the instrument numbers it (Waveshare 1-8, DAQ970A
    /// `101`, Numato from 0).
    pub number: u16,
    /// Bit of a DAQ970A digital port.
    pub bit: Option<u8>,
    pub invert: bool,
}

/// The checked relays and inputs, by name.
pub(super) struct Wiring {
    pub relays: BTreeMap<String, BoardWire>,
    pub inputs: BTreeMap<String, BoardWire>,
}

/// Checks every relay, then every input, against the bench's boards.
pub(super) fn check(
    file: &SourceFile,
    relays: &BTreeMap<String, Spanned<RawRelay>>,
    inputs: &BTreeMap<String, Spanned<RawInput>>,
    instruments: &BTreeMap<String, InstrumentSpec>,
    problems: &mut Problems,
) -> Wiring {
    let boards = Boards {
        file,
        boards: instruments
            .values()
            .filter(|i| i.driver.role() == Role::Board)
            .collect(),
    };
    let mut wiring = Wiring {
        relays: BTreeMap::new(),
        inputs: BTreeMap::new(),
    };
    for (name, r) in relays {
        let r = &r.value;
        match boards.wire(WireKind::Relay, name, &r.board, &r.channel, None, false) {
            Ok(w) => match shares_a_channel(&wiring.relays, &w) {
                // One contact cannot be two things: a plan opening one name would
                // switch what the other name says is wired there.
                Some(other) => problems.push(Problem::at(
                    file,
                    boards.at(&r.channel),
                    format!(
                        "relay `{name}` is on channel {} of `{}`, as relay `{other}` is: a channel switches one thing",
                        w.number, w.board
                    ),
                )),
                None => {
                    wiring.relays.insert(name.clone(), w);
                }
            },
            Err(p) => problems.push(p),
        }
    }
    for (name, i) in inputs {
        let i = &i.value;
        let bit = i.bit.as_ref();
        match boards.wire(WireKind::Input, name, &i.board, &i.input, bit, i.invert) {
            Ok(w) => {
                wiring.inputs.insert(name.clone(), w);
            }
            Err(p) => problems.push(p),
        }
    }
    wiring
}

/// The relay already wired to the board channel of `wire`, if any.
fn shares_a_channel<'a>(
    relays: &'a BTreeMap<String, BoardWire>,
    wire: &BoardWire,
) -> Option<&'a str> {
    relays
        .iter()
        .find(|(_, w)| w.board == wire.board && w.number == wire.number)
        .map(|(n, _)| n.as_str())
}

struct Boards<'a> {
    file: &'a SourceFile,
    boards: Vec<&'a InstrumentSpec>,
}

impl Boards<'_> {
    fn at<T>(&self, field: &Spanned<T>) -> Span {
        Span::of_scalar(&field.referenced, &self.file.text)
    }

    /// A relay or input, if its board is a board of the bench and has that channel.
    fn wire(
        &self,
        kind: WireKind,
        name: &str,
        board: &Spanned<String>,
        number: &Spanned<u16>,
        bit: Option<&Spanned<u8>>,
        invert: bool,
    ) -> Result<BoardWire, Problem> {
        let Some(spec) = self.boards.iter().find(|b| b.name == board.value) else {
            return Err(self.no_such_board(kind, name, board));
        };
        check_wire(spec, kind, number.value, bit.map(|b| b.value)).map_err(|wrong| {
            let (span, msg) = match wrong {
                WrongWire::Number(msg) => (self.at(number), msg),
                WrongWire::Bit(msg) => (bit.map_or(self.at(number), |b| self.at(b)), msg),
            };
            Problem::at(self.file, span, format!("{kind} `{name}`: {msg}"))
        })?;
        Ok(BoardWire {
            board: board.value.clone(),
            number: number.value,
            bit: bit.map(|b| b.value),
            invert,
        })
    }

    fn no_such_board(&self, kind: WireKind, name: &str, board: &Spanned<String>) -> Problem {
        let names: Vec<&str> = self.boards.iter().map(|b| b.name.as_str()).collect();
        Problem::at(
            self.file,
            self.at(board),
            format!(
                "{kind} `{name}` is on `{}`, which is not a relay board of this bench",
                board.value
            ),
        )
        .help(if names.is_empty() {
            "declare a `waveshare-relay-d`, `keysight-daq970a` or `numato-relay` instrument"
                .to_string()
        } else {
            format!("boards: {}", names.join(", "))
        })
    }
}
