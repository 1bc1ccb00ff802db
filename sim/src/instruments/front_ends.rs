//! The state of the instrument front ends added for the lab's other driver families
//! (Watlow F4, ESPEC P-300, DAQ970A, Numato, electronic loads), kept in the world next
//! to the instruments they share it with: one chamber air model, one set of relay and
//! input lines, one source/sink in the circuit. State outlives a connection, as on a
//! real instrument.

use super::daq970a::DaqState;
use super::electronic_load::LoadState;
use super::espec_p300::EspecState;
use super::numato::NumatoState;
use super::relay_lines::RelayLines;
use super::watlow_f4::F4State;

#[derive(Clone, Debug, Default)]
pub(crate) struct FrontEnds {
    /// Which front end drives each relay line.
    pub(crate) lines: RelayLines,
    /// The Watlow F4's decimal setting and event outputs.
    pub(crate) f4: F4State,
    /// The ESPEC P-300's mode and temperature limits.
    pub(crate) espec: EspecState,
    /// The DAQ970A's relays, DIO output latch and SCPI status.
    pub(crate) daq: DaqState,
    /// The Numato module's relays and id.
    pub(crate) numato: NumatoState,
    /// The electronic loads' settings and SCPI status.
    pub(crate) load_dl3000: LoadState,
    pub(crate) load_bk8600: LoadState,
}
