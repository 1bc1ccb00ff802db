//! The virtual bench of `rig`: a twin of the seed packs' BMS and simulated instruments
//! that speak the real wire protocols (SCPI text, Modbus RTU ADUs, CAN frames) over
//! in-memory byte pipes, so the rig's drivers cannot tell them from hardware.
//!
//! The BMS also answers on its RS485 port ("rs485"): the Pylontech ASCII protocol as the
//! pack at its DIP address, 2 by default (0x42, 0x44, 0x47, 0x4F, 0x51, 0x92, 0x95), with
//! the drivers' codec; with packs in parallel, slave k at that address + k.
//!
//! Everything runs on tokio's clock. On the rig's paused, auto-advancing runtime hours of
//! simulated charging cost milliseconds, and the same inputs give the same bytes: there
//! is no randomness, no fixed tick, no hash-ordered output.
//!
//! The main type is [`SimBench`]: [`SimBench::start`] builds the world from a
//! [`SimConfig`] (pack parameters from a DUT profile plus injected [`Defect`]s),
//! [`SimBench::open`] hands out byte endpoints and [`SimBench::can_port`] CAN ports.
//!
//! Layout: `pack` (cells, temperature), `bms` (firmware: COCP/DOCP, COVP/CUVP,
//! CHTP/DHTP/CLTP/DLTP, SCP, reversed polarity, sensor failure, reset button, sleep,
//! forced recharge, SOC display, LEDs, dry contacts, CAN report, balancing,
//! pre-charge, the master's report for packs in parallel, the RS485 chain), `dip` (DIP
//! switches: RS485 baud and address, protocol ID), `circuit` (source/sink and pack as
//! one circuit), `bus` (N packs in parallel on one DC bus), `unit` (one pack: cells,
//! temperature, firmware), `contactors` (the bench's short-circuit and reversing
//! contactors, relay lines 3 and 4), `world` (lazy stepping and wiring, relay line 5 on
//! the master's NTC lead, relay line 6 on the last slave's, the LEDs on photo-sensor
//! input lines 3-8), `instruments`
//! (SCPI source/sink, Modbus RTU relay board, Watlow F4T chamber on Modbus TCP; Watlow
//! F4, ESPEC P-300, DAQ970A, Numato, Rigol DL3000 and BK 8600 front ends over the same
//! chamber air, relay lines and circuit), `rs485_port` (the BMS's RS485 port on a byte
//! stream), `rs232_port` (its RS232 port: wakes, never answers), `bench` (endpoints).
//!
//! The pack is a string of cells with a seeded spread of capacity and initial SOC,
//! balanced passively during charge; the cell protections act on the highest and
//! lowest cell. Its capacity is the rated one times its SOH. Switching on (wake-up,
//! reset) closes the discharge path through a pre-charge resistor first.
//!
//! Packs in parallel (`Installation::packs`, 1..=32, Lesso 3.3.2): each has its own
//! cells (its own spread seed), coulomb counter, temperature (in the same chamber air),
//! firmware, MOSFETs and sleep; the bus shares the source's current by their OCVs and
//! resistances, and packs at different OCV equalise through it. Pack 0 is the master
//! (M/S LED on in parallel mode): the bench is wired to it, it alone talks CAN, for the
//! whole system (limits summed, flags OR-ed, module count), and its button puts the
//! slaves to sleep with it (LOSUN 2.3-2).
//!
//! Not modelled yet: one temperature for cells, environment and MOSFETs; the internal
//! link as a bus of its own (a slave answers its master while awake; it cannot fail
//! alone); several groups (§2.5 "0x02 + 0x10 × m"); voltage and current sensor failures
//! (only the NTC leads are reachable on the bench); MOS failure; self-discharge.

mod bench;
mod bms;
mod bus;
mod can_task;
mod circuit;
mod clock;
mod config;
mod contactors;
mod defects;
mod dip;
mod error;
mod faults;
mod instruments;
mod pack;
mod rs232_port;
mod rs485_port;
mod snapshot;
#[cfg(test)]
mod test_bytes;
mod unit;
mod world;

pub use bench::SimBench;
pub use clock::{MAX_SPEED, now as model_now, set_speed};
pub use config::{
    AlarmParams, BalancingParams, ButtonTimings, CellParams, ForcedRechargeParams, Installation,
    InvalidParams, LedTable, MAX_PACKS, OverCurrentParams, PackParams, ParamProblem, PeakCurrent,
    PrechargeParams, ShortCircuitParams, SimConfig, SleepParams, SocCalibrationParams,
    SourceRating, TemperatureLimit, TemperatureProtectionParams, ThermalParams,
    VoltageProtectionParams,
};
pub use defects::{Defect, DefectKind, UnknownDefect};
pub use dip::{Baud, DipSettings, MASTER_ADDRESS, ProtocolId};
pub use error::{EndpointKind, SimError};
pub use faults::{FaultKind, InstrumentFault};
pub use snapshot::{
    BmsSnapshot, CanSnapshot, ChamberSnapshot, DryContacts, PackSnapshot, RelaySnapshot,
    SimSnapshot, SourceProtection, SourceSnapshot,
};
