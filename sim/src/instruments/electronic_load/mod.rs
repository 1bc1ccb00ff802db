//! Simulated electronic loads, Rigol DL3000 ("load_dl3000") and BK Precision 8600
//! ("load_bk8600"), speaking SCPI (protocols.md 4.3, second table) with the shared
//! SCPI machinery (`scpi_device`, `scpi_params`).
//!
//! A load only sinks. In the circuit it takes the place of the source/sink, as a
//! constant-current sink: voltage set point 0 V, charging limit 0 A, sinking limit =
//! the CC level, output = the load's input state (`SourceSettings` from
//! `power_on_settings`, so the source/sink's own protections sit at their maximum).
//! It measures the circuit: the terminal voltage, the current drawn from the pack
//! (positive while sinking) and their product. With the pack's discharge MOSFET open
//! it reads 0 A.
//!
//! One source/sink is in the circuit: a load takes it over with each setting it
//! receives (input, level, `*RST`), and the SCPI source/sink takes it back with its
//! next setting (last write wins). Queries change nothing.
//!
//! | Command | |
//! | --- | --- |
//! | `[SOURce:]INPut[:STATe] ON\|OFF` and `?` | input on/off (Rigol `:SOUR:INP:STAT`, BK `INP`) |
//! | `[SOURce:]FUNCtion CURRent` and `?` | CC; `VOLT`/`RES`/`POW` give -221 (not modelled) |
//! | `[SOURce:]CURRent[:LEVel][:IMMediate] <A>` and `?` | CC level, 0 to the rating, else -222 |
//! | `[SOURce:]VOLTage[:LEVel][:IMMediate] <V>` and `?` | CV level, kept, unused |
//! | `MEASure:VOLTage?`, `MEASure:CURRent?`, `MEASure:POWer?` | V, A drawn, W |
//! | `SYSTem:REMote`, `SYSTem:LOCal` (BK only) | accepted |
//! | `*IDN?`, `*RST` (input off, levels 0), `*CLS`, `*OPC?`, `SYSTem:ERRor?` | |
//!
//! Ratings (the models' data sheets): DL3031A 150 V / 60 A, BK 8610 120 V / 120 A.
//! Their power ratings (350 W, 750 W) are not modelled: a set current is drawn at any
//! voltage.

mod commands;

use std::sync::{Arc, Mutex};

use scpi::tree::Node;
use scpi::{Branch, Leaf};
use scpi_contrib::scpi_system;
use tokio::io::{AsyncRead, AsyncWrite};

use self::commands::{CURRENT_LEVEL, Function, INPUT, VOLTAGE_LEVEL};
use super::scpi_commands::{Accepted, Measure, Measuring, Quantity};
use super::scpi_device::{Instrument, ScpiStatus, Session, scpi_root, serve_instrument};
use super::scpi_source::power_on_settings;
use crate::bus::BusTerminal;
use crate::circuit::{OperatingPoint, SourceSettings};
use crate::clock;
use crate::world::World;

/// The two load families.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoadModel {
    RigolDl3000,
    Bk8600,
}

/// What a model can do.
pub(crate) struct Rating {
    pub(crate) max_current_a: f64,
    pub(crate) max_voltage_v: f64,
}

impl LoadModel {
    fn rating(self) -> &'static Rating {
        match self {
            LoadModel::RigolDl3000 => &Rating {
                max_current_a: 60.0,
                max_voltage_v: 150.0,
            },
            LoadModel::Bk8600 => &Rating {
                max_current_a: 120.0,
                max_voltage_v: 120.0,
            },
        }
    }

    fn tree(self) -> &'static Node<'static, LoadSession> {
        match self {
            LoadModel::RigolDl3000 => &RIGOL_TREE,
            LoadModel::Bk8600 => &BK_TREE,
        }
    }
}

/// The load's settings as the user set them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LoadSettings {
    input_on: bool,
    current_a: f64,
    voltage_v: f64,
}

impl LoadSettings {
    /// The circuit's source/sink as this load: a constant-current sink.
    fn as_sink(&self) -> SourceSettings {
        SourceSettings {
            output_on: self.input_on,
            current_limit_neg_a: self.current_a,
            ..power_on_settings()
        }
    }
}

/// What outlives a connection.
#[derive(Clone, Debug, Default)]
pub(crate) struct LoadState {
    settings: LoadSettings,
    status: ScpiStatus,
}

/// The load as one program message sees it.
pub(crate) struct Load {
    settings: LoadSettings,
    rating: &'static Rating,
    /// The circuit's source/sink and the pack at this instant.
    circuit: SourceSettings,
    terminal: BusTerminal,
    /// A setting was accepted (even one that leaves a value as it was): the load
    /// takes the circuit.
    pub(crate) took_over: bool,
}

type LoadSession = Session<Load>;

impl Measuring for Load {
    /// What the load measures now: with its own settings once it took the circuit.
    fn measure(&mut self) -> OperatingPoint {
        if self.took_over {
            self.circuit = self.settings.as_sink();
        }
        self.terminal.settle(&mut self.circuit)
    }
}

impl Instrument for Load {
    /// `*RST`: input off, levels 0.
    fn reset(&mut self) {
        self.settings = LoadSettings::default();
        self.took_over = true;
    }

    fn accepted_setting(&mut self) {
        self.took_over = true;
    }
}

macro_rules! load_tree {
    ($manufacturer:expr, $model:expr, $system:expr) => {
        scpi_root![
            ($manufacturer, $model, b"RIGSIM0001", b"rig-sim-1.0"),
            $system,
            // SOURce is optional in SCPI: `INP ON` is `SOUR:INP ON`.
            Node::Branch {
                name: b"SOURce",
                default: true,
                sub: &[
                    Branch![b"INPut"; Leaf!(default b"STATe" => &INPUT)],
                    Leaf!(b"FUNCtion" => &Function),
                    Branch![b"CURRent";
                        Branch![default b"LEVel"; Leaf!(default b"IMMediate" => &CURRENT_LEVEL)]
                    ],
                    Branch![b"VOLTage";
                        Branch![default b"LEVel"; Leaf!(default b"IMMediate" => &VOLTAGE_LEVEL)]
                    ]
                ],
            },
            Branch![b"MEASure";
                Branch![b"VOLTage"; Leaf!(default b"DC" => &Measure(Quantity::Voltage))],
                Branch![b"CURRent"; Leaf!(default b"DC" => &Measure(Quantity::CurrentDrawn))],
                Branch![b"POWer"; Leaf!(default b"DC" => &Measure(Quantity::PowerDrawn))]
            ]
        ]
    };
}

const RIGOL_TREE: Node<LoadSession> = load_tree!(b"RIGOL TECHNOLOGIES", b"DL3031A", scpi_system!());

const BK_TREE: Node<LoadSession> = load_tree!(
    b"B&K Precision",
    b"8610",
    scpi_system!(Leaf!(b"REMote" => &Accepted), Leaf!(b"LOCal" => &Accepted))
);

fn state(world: &mut World, model: LoadModel) -> &mut LoadState {
    match model {
        LoadModel::RigolDl3000 => &mut world.front_ends.load_dl3000,
        LoadModel::Bk8600 => &mut world.front_ends.load_bk8600,
    }
}

/// Run one program message with the world locked. A setting hands the circuit's
/// source/sink to this load.
fn execute(world: &mut World, model: LoadModel, message: &[u8]) -> Vec<u8> {
    world.advance_to(clock::now());
    let saved = std::mem::take(state(world, model));
    let load = Load {
        settings: saved.settings.clone(),
        rating: model.rating(),
        circuit: world.source.clone(),
        terminal: world.terminal(),
        took_over: false,
    };
    let mut session = Session::new(load, saved.status);
    let response = session.run(model.tree(), message);
    let (load, status) = session.into_parts();
    if load.took_over {
        world.source = load.settings.as_sink();
    }
    *state(world, model) = LoadState {
        settings: load.settings,
        status,
    };
    world.settle();
    response
}

/// Serve SCPI on one connection until the peer closes it.
pub(crate) async fn serve_load<T>(world: Arc<Mutex<World>>, model: LoadModel, stream: T)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    serve_instrument(
        world,
        stream,
        |world, message| execute(world, model, message),
        |world| &mut state(world, model).status,
    )
    .await;
}

#[cfg(test)]
mod tests;
