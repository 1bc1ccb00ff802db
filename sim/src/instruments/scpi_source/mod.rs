//! A simulated two-quadrant source/sink that speaks SCPI over a byte stream, built on
//! the `scpi` parser and the `scpi-contrib` IEEE 488.2 / SCPI-99 status model.
//!
//! One task per connection reads program messages (one per line), runs each against
//! the command tree with the world locked (`scpi_device`), and writes the response. The
//! main entry is [`serve_scpi`].

mod commands;
mod session;

use std::sync::{Arc, Mutex};

use scpi::tree::Node;
use scpi::{Branch, Leaf};
use scpi_contrib::scpi_system;
use tokio::io::{AsyncRead, AsyncWrite};

use self::commands::{
    CURRENT_LIMIT_NEGATIVE, CURRENT_LIMIT_POSITIVE, CURRENT_PROTECTION, Output,
    PROTECTION_HEADROOM, SOURCE_VOLTAGE, VOLTAGE_PROTECTION,
};
use self::session::SourceSession;
use super::scpi_commands::{Measure, Quantity};
use super::scpi_device::{scpi_root, serve_instrument};
use crate::circuit::SourceSettings;
use crate::clock;
use crate::config::SourceRating;
use crate::world::World;

/// `*IDN?` -> `RIG-SIM,SOURCE-SINK-60V-120A,SIM0001,1.0`.
const TREE: Node<SourceSession> = scpi_root![
    (b"RIG-SIM", b"SOURCE-SINK-60V-120A", b"SIM0001", b"1.0"),
    scpi_system!(),
    // SOURce is optional in SCPI: `VOLT 56` is `SOUR:VOLT 56`.
    Node::Branch {
        name: b"SOURce",
        default: true,
        sub: &[
            Branch![b"VOLTage";
                Leaf!(default b"LEVel" => &SOURCE_VOLTAGE),
                Branch![b"PROTection"; Leaf!(default b"LEVel" => &VOLTAGE_PROTECTION)]
            ],
            Branch![b"CURRent";
                Branch![b"LIMit";
                    Leaf!(default b"POSitive" => &CURRENT_LIMIT_POSITIVE),
                    Leaf!(b"NEGative" => &CURRENT_LIMIT_NEGATIVE)
                ],
                Branch![b"PROTection"; Leaf!(default b"LEVel" => &CURRENT_PROTECTION)]
            ]
        ],
    },
    Branch![b"OUTPut"; Leaf!(default b"STATe" => &Output)],
    Branch![b"MEASure";
        Branch![b"VOLTage"; Leaf!(default b"DC" => &Measure(Quantity::Voltage))],
        Branch![b"CURRent"; Leaf!(default b"DC" => &Measure(Quantity::CurrentIn))]
    ]
];

/// Power-on and `*RST` state of the default unit (see [`power_on_settings_for`]).
pub(crate) fn power_on_settings() -> SourceSettings {
    power_on_settings_for(SourceRating::default())
}

/// Power-on and `*RST` state: output off, 0 V, both current limits 0 A, protections at
/// their maximum for the unit's rating.
pub(crate) fn power_on_settings_for(rating: SourceRating) -> SourceSettings {
    SourceSettings {
        output_on: false,
        voltage_v: 0.0,
        current_limit_pos_a: 0.0,
        current_limit_neg_a: 0.0,
        ovp_v: PROTECTION_HEADROOM * rating.max_voltage_v,
        ocp_a: PROTECTION_HEADROOM * rating.max_current_a,
        tripped: None,
    }
}

/// Serve SCPI on one connection until the peer closes it.
pub(crate) async fn serve_scpi<T>(world: Arc<Mutex<World>>, stream: T)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    serve_instrument(world, stream, execute, |world| &mut world.source_status).await;
}

/// Run one program message with the world locked; the response (with its `\n`), or
/// nothing when the message failed (the error is in the queue for `SYST:ERR?`).
fn execute(world: &mut World, message: &[u8]) -> Vec<u8> {
    world.advance_to(clock::now());
    let mut session = session::open(world);
    let response = session.run(&TREE, message);
    session::close(session, world);
    world.settle();
    response
}

#[cfg(test)]
mod tests;
