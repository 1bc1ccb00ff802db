//! A copy of the bench's state at one instant, for tests and for `rig sim` diagnostics.
//! Plans never see it: they observe the bench through the instruments, as on hardware.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq)]
pub struct SimSnapshot {
    /// Time on tokio's clock since [`crate::SimBench::start`].
    pub elapsed: Duration,
    pub source: SourceSnapshot,
    pub relays: RelaySnapshot,
    /// The pack's dry contacts (manual 3.3.3.1 D); `true` = closed.
    pub dry_contacts: DryContacts,
    /// The master's BMS (the pack the bench is wired to; the only one with one pack).
    pub bms: BmsSnapshot,
    /// Every pack in parallel, the master first (`packs[0].bms == bms`).
    pub packs: Vec<PackSnapshot>,
    /// Voltage of the packs' common DC bus, V.
    pub bus_voltage_v: f64,
    pub can: CanSnapshot,
    pub chamber: ChamberSnapshot,
}

/// The simulated thermal chamber (a Watlow F4T).
#[derive(Clone, Debug, PartialEq)]
pub struct ChamberSnapshot {
    /// Air temperature around the pack (the controller's process value), °C.
    pub air_c: f64,
    pub set_point_c: f64,
    /// Conditioning on (the run event output).
    pub running: bool,
}

/// The simulated source/sink.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceSnapshot {
    pub output_on: bool,
    pub voltage_setpoint_v: f64,
    pub current_limit_pos_a: f64,
    /// The sink-side limit as a magnitude (`SOUR:CURR:LIM:NEG -30` reads 30 here).
    pub current_limit_neg_a: f64,
    pub ovp_v: f64,
    pub ocp_a: f64,
    /// The protection that switched the output off, until `OUTP ON`.
    pub tripped: Option<SourceProtection>,
    pub measured_voltage_v: f64,
    /// Positive = into the battery.
    pub measured_current_a: f64,
}

/// A protection of the source/sink itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceProtection {
    OverVoltage,
    OverCurrent,
}

/// The bench's relay and input lines and the Waveshare Modbus RTU Relay (D) on them;
/// index 0 is relay/input line 1.
#[derive(Clone, Debug, PartialEq)]
pub struct RelaySnapshot {
    /// Each relay line as the wiring sees it: the contact of the relay instrument that
    /// switched it last (the Waveshare board, where linkage mode makes a relay follow
    /// its input, until the DAQ970A or the Numato module takes the line).
    pub closed: [bool; 8],
    /// Opto inputs; `true` = the wired contact is closed.
    pub inputs: [bool; 8],
    /// Channels still in the factory "linkage" control mode.
    pub linkage: [bool; 8],
}

/// Manual 3.3.3.1 D: NO output 1 "Charge enable/disable signal", NO output 2 "discharge
/// enable/disable signal".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DryContacts {
    pub charge_enable: bool,
    pub discharge_enable: bool,
}

/// One pack of the parallel system.
#[derive(Clone, Debug, PartialEq)]
pub struct PackSnapshot {
    /// Pack 0, the one with the empty Link IN port (Lesso 5.3).
    pub master: bool,
    /// The M/S LED (Lesso 3.3.3 F): on for the master in parallel mode, off for a
    /// slave and in single mode.
    pub ms_led: bool,
    pub bms: BmsSnapshot,
}

/// The BMS twin.
#[derive(Clone, Debug, PartialEq)]
pub struct BmsSnapshot {
    pub charge_mosfet_on: bool,
    pub discharge_mosfet_on: bool,
    /// COCP tripped or locked.
    pub cocp_active: bool,
    /// Consecutive COCP trips counted so far.
    pub cocp_trips: u32,
    /// COCP lock-out (manual 3.4 "manual intervention is required").
    pub locked: bool,
    /// DOCP tripped or locked (including the peak-discharge limits).
    pub docp_active: bool,
    pub docp_locked: bool,
    /// COVP/POVP active.
    pub over_voltage_active: bool,
    /// CUVP/PUVP active.
    pub under_voltage_active: bool,
    /// The rapid-shutdown input has switched the output off.
    pub rapid_shutdown_active: bool,
    /// Automatic wake-ups after under-voltage sleep so far (LOSUN 2.3-3).
    pub auto_wakes: u32,
    pub asleep: bool,
    /// The controller is restarting after a reset press (silent, outputs off).
    pub rebooting: bool,
    /// State of charge, 0..=1.
    pub soc: f64,
    /// Cell-stack voltage as the BMS measures it.
    pub pack_voltage_v: f64,
    /// Positive = charging, before the reporting dead band.
    pub pack_current_a: f64,
    /// Cell temperature, °C.
    pub temperature_c: f64,
    /// CHTP or DHTP active.
    pub over_temperature_active: bool,
    /// CLTP or DLTP active.
    pub under_temperature_active: bool,
    /// CHTP, DHTP, CLTP, DLTP (manual 3.4), in that order.
    pub temperature_protections: [bool; 4],
    /// SCP, reversed polarity and sensor failure (manual 3.4), in that order.
    pub failures: [bool; 3],
    /// Each cell's voltage as the BMS measures it, cell 1 first.
    pub cell_voltages_v: Vec<f64>,
    /// Each cell's state of charge, 0..=1 (only the twin knows it).
    pub cell_socs: Vec<f64>,
    /// Cells the balancer bleeds now.
    pub balancing: Vec<bool>,
    /// The "cell imbalanced" warning (Lesso 3.3.3.4 note).
    pub cell_imbalance_warning: bool,
    /// Discharge current flows through the pre-charge resistor (Lesso 3.2).
    pub precharging: bool,
    /// Failed pre-charges so far ("pre-charge failure during connection inverter").
    pub precharge_failures: u32,
}

/// The twin's CAN transmitter.
#[derive(Clone, Debug, PartialEq)]
pub struct CanSnapshot {
    pub frames_sent: u64,
    /// Inverter keep-alive frames (0x305) the BMS received. Neither manual says what
    /// the BMS does when they stop (protocols.md 1.7: battery specific), so the twin
    /// only counts them.
    pub keepalive_frames_received: u64,
    /// When the last one arrived, s since the bench started.
    pub last_keepalive_s: Option<f64>,
    /// Rounds of frames the DBC could not encode (a bug in the twin if ever non-zero).
    pub encode_errors: u64,
}
