//! The world of the virtual bench: pack, BMS firmware, source/sink and relay board, and
//! the wires between them.
//!
//! Physics is advanced lazily. Whoever touches the world first calls
//! [`World::advance_to`] with the present instant; it integrates in steps of at most
//! [`MAX_STEP`] that end exactly at the firmware's own deadlines (a trip delay or a
//! recovery delay expiring), so no timer fires late and no fixed tick runs while nothing
//! happens. The source's own OVP/OCP are checked at every step boundary and after
//! every command, so they act within one step (at most a second) of a slow drift. The
//! world sits behind a `std::sync::Mutex` that is never held across an `.await`.
//!
//! Wiring of the built-in bench: relay 1 is across the pack's reset button (closed =
//! pressed), relay 2 drives the rapid-shutdown input, input 1 reads
//! dry contact output 1 (charge enable), input 2 reads dry contact output 2 (discharge
//! enable). The relay board starts in its factory "linkage" mode, where each relay
//! follows its input: until the rig decouples channel 1, relay 1 holds the reset button
//! down whenever charging is enabled, just as a fresh board would on a real bench.
//!
//! The relay lines are reachable by the other relay front ends too (DAQ970A channels
//! 101-108, Numato relays 0-7) and the input lines by their inputs (DAQ970A DIO byte,
//! Numato GPIO 0-7): [`World::relay_line`], [`World::drive_relay_line`],
//! [`World::input_line`]. The last instrument to switch a line drives it
//! (`instruments::relay_lines`).
//!
//! The fault-injection wiring (see `contactors`): relay 3 closes the short-circuit
//! contactor, relay 4 the reversing contactor, relay 5 opens the pack's NTC lead. Photo
//! sensors on the pack's LEDs feed input 3 (RUN), input 4 (ALM) and inputs 5-8 (SOC
//! LEDs 1-4; LOSUN: L8, L7, L1-L4). On a board fresh from the factory those inputs
//! would drive relays 3-8 by linkage, the LEDs switching the contactors (the RUN LED's
//! first flash shorts the pack): so the bench's board is commissioned, channels 3-8
//! decoupled once when they were wired, and only channels 1-2 leave the factory in
//! linkage. The rig decouples all eight when it opens the board anyway, and a bench
//! with another relay front end (DAQ970A, Numato) never opens this board at all. A
//! channel put back into linkage does what a real one would (see the bench tests).
//! The twin's SCP and sensor-failure delays are never zero. The LED inputs are computed whenever the
//! world settles, so every read of the inputs sees the exact flash phase; LED edges are
//! no deadlines, a 48 h standby is not stepped every 250 ms.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rig_drivers::can::{CanDatabase, CanFrame};

use crate::bms::{
    ChargeState, Firmware, PackReading, PylonStatus, bleeding, encode_frames, extremes,
};
use crate::circuit::{OperatingPoint, PackTerminal, SourceSettings};
use crate::clock::{Duration, Instant};
use crate::config::{BalancingParams, SimConfig};
use crate::contactors::{BenchPoint, Contactors, operate, protect_source};
use crate::defects::DefectSet;
use crate::instruments::{F4tController, FrontEnds, RelayBoard, ScpiStatus, power_on_settings};
use crate::pack::{Pack, Thermal};
use crate::snapshot::{
    BmsSnapshot, CanSnapshot, ChamberSnapshot, RelaySnapshot, SimSnapshot, SourceSnapshot,
};

/// Longest integration step; the current is held constant over a step.
pub(crate) const MAX_STEP: Duration = Duration::from_secs(1);
/// Longest step while only temperatures move (no current): the air and the pack change
/// by well under 0.1 K in it, and a temperature trip is found within it.
const THERMAL_STEP: Duration = Duration::from_secs(5);

/// Relay 1 (index 0) is wired across the reset button.
const RESET_BUTTON_RELAY: usize = 0;
/// Relay 2 (index 1) drives the rapid-shutdown input (manual 3.3.3.1 D pins 5-6).
const RAPID_SHUTDOWN_RELAY: usize = 1;
/// Input 1 (index 0) reads dry contact output 1, charge enable.
const CHARGE_ENABLE_INPUT: usize = 0;
/// Input 2 (index 1) reads dry contact output 2, discharge enable.
const DISCHARGE_ENABLE_INPUT: usize = 1;
/// Relay 3 (index 2) closes the short-circuit contactor.
const SHORT_CIRCUIT_RELAY: usize = 2;
/// Relay 4 (index 3) swaps the source's leads (reversing contactor).
const REVERSE_POLARITY_RELAY: usize = 3;
/// Relay 5 (index 4) opens the pack's NTC lead (breakout harness).
const NTC_OPEN_RELAY: usize = 4;
/// Input 3 (index 2) reads the RUN LED, input 4 the ALM LED, inputs 5-8 SOC LEDs 1-4.
const RUN_LED_INPUT: usize = 2;
const ALM_LED_INPUT: usize = 3;
const SOC_LED_INPUTS: std::ops::Range<usize> = 4..8;
/// Channels 3-8 (indices 2-7) of the board were taken out of linkage when the
/// contactors and photo sensors were wired (see the module doc).
const COMMISSIONED_CHANNELS: std::ops::Range<usize> = 2..8;
/// Bound on the contact -> relay -> button -> firmware feedback within one instant.
const WIRING_PASSES: usize = 4;

#[derive(Debug)]
pub(crate) struct World {
    started: Instant,
    now: Instant,
    pack: Pack,
    /// Passive balancing as the DUT profile describes it (the firmware decides when).
    balancing: Option<BalancingParams>,
    /// The reporting dead band (Lesso FAQ Q4): smaller discharge currents are none.
    dead_band_a: f64,
    thermal: Thermal,
    /// The thermal chamber's controller and the air around the pack.
    pub(crate) chamber: F4tController,
    firmware: Firmware,
    pub(crate) source: SourceSettings,
    pub(crate) source_status: ScpiStatus,
    pub(crate) board: RelayBoard,
    /// The other instruments' front ends, and which one drives each relay line.
    pub(crate) front_ends: FrontEnds,
    /// Relay 1 as the button last saw it.
    button_held: bool,
    /// Relay 2 as the rapid-shutdown input last saw it.
    rsd_closed: bool,
    /// Relay 5 as the NTC lead last saw it.
    ntc_open: bool,
    can_frames_sent: u64,
    can_encode_errors: u64,
    keepalive_frames_received: u64,
    last_keepalive: Option<Instant>,
}

/// Lock the shared world; a poisoned lock still holds a consistent world, since every
/// mutation completes without panicking.
pub(crate) fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

impl World {
    pub(crate) fn new(config: &SimConfig, now: Instant) -> Self {
        let p = &config.pack;
        let mut world = Self {
            started: now,
            now,
            pack: Pack::new(
                p.cells_in_series,
                p.capacity_ah * p.soh_percent / 100.0,
                p.internal_resistance_ohm,
                p.initial_soc,
            )
            .with_spread(&p.cells),
            balancing: p.balancing.clone(),
            dead_band_a: p.current_dead_band_a,
            thermal: Thermal::new(p.temperature_c, p.thermal.as_ref()),
            chamber: F4tController::new(p.temperature_c),
            firmware: Firmware::new(p, DefectSet::from_list(&config.defects)),
            source: power_on_settings(),
            source_status: ScpiStatus::default(),
            board: RelayBoard::commissioned(COMMISSIONED_CHANNELS),
            front_ends: FrontEnds::default(),
            button_held: false,
            rsd_closed: false,
            ntc_open: false,
            can_frames_sent: 0,
            can_encode_errors: 0,
            keepalive_frames_received: 0,
            last_keepalive: None,
        };
        world.settle();
        world
    }

    /// Bring the world to `target`; earlier instants are ignored.
    ///
    /// While no current flows nothing in the pack changes, so the step runs to the next
    /// firmware deadline at once: a pack asleep for 48 h with a wake-up every 4 h costs a
    /// few dozen steps, not a tick every second.
    pub(crate) fn advance_to(&mut self, target: Instant) {
        loop {
            self.settle();
            if self.now >= target {
                return;
            }
            let reading = self.reading();
            let thermally_settled =
                self.chamber.air.settled() && self.thermal.settled(self.chamber.air.air_c());
            let mut end = if reading.current_a != 0.0 {
                target.min(self.now + MAX_STEP)
            } else if !thermally_settled {
                target.min(self.now + THERMAL_STEP)
            } else {
                target
            };
            if let Some(deadline) = self.firmware.next_deadline(self.now, &reading) {
                end = end.min(deadline);
            }
            let dt = end - self.now;
            let air_before = self.chamber.air.air_c();
            self.chamber.air.advance(dt);
            let air = 0.5 * (air_before + self.chamber.air.air_c());
            self.thermal
                .integrate(air, reading.current_a, self.pack.resistance_ohm(), dt);
            let bleeding = self.bleeding(&reading);
            let bleed_a = self.balancing.as_ref().map_or(0.0, |b| b.bleed_current_a);
            self.pack
                .integrate(reading.current_a, dt, &bleeding, bleed_a);
            self.firmware.advance(self.now, end, &reading);
            self.now = end;
        }
    }

    /// Let the firmware, the source's protections and the wiring react to a change made
    /// at `now` (an instrument command, a firmware event).
    pub(crate) fn settle(&mut self) {
        for _ in 0..WIRING_PASSES {
            let reading = self.reading();
            self.firmware.advance(self.now, self.now, &reading);
            let terminal = self.terminal();
            let contactors = self.contactors();
            if contactors == Contactors::default() {
                self.source.settle(&terminal);
            } else {
                let point = operate(&self.source, &terminal, contactors).source;
                protect_source(&mut self.source, &point);
            }
            if !self.sync_wiring() {
                return;
            }
        }
    }

    /// The pack as the source sees it now.
    pub(crate) fn terminal(&self) -> PackTerminal {
        let precharge = self.firmware.precharge_resistance_ohm();
        PackTerminal {
            ocv_v: self.pack.ocv(),
            resistance_ohm: self.pack.resistance_ohm(),
            charge_path: self.firmware.charge_mosfet_on(),
            discharge_path: self.firmware.discharge_mosfet_on() || precharge.is_some(),
            discharge_series_ohm: precharge.unwrap_or(0.0),
        }
    }

    /// The cells the balancer bleeds while `r` holds; none while asleep.
    fn bleeding(&self, r: &PackReading) -> Vec<bool> {
        if self.firmware.asleep() {
            return vec![false; self.pack.cell_count()];
        }
        let state = ChargeState {
            charger: r.charger_v.is_some(),
            current_a: r.current_a,
            dead_band_a: self.dead_band_a,
        };
        bleeding(
            self.balancing.as_ref(),
            &self.pack.cell_voltages(r.current_a),
            state,
        )
    }

    /// The frame set the BMS sends now (empty while it sleeps).
    pub(crate) fn can_frames(&mut self, db: &CanDatabase) -> Vec<CanFrame> {
        let Some(report) = self.firmware.can_report(self.reading()) else {
            return Vec::new();
        };
        match encode_frames(db, &report) {
            Ok(frames) => {
                self.can_frames_sent += frames.len() as u64;
                frames
            }
            Err(_) => {
                self.can_encode_errors += 1;
                Vec::new()
            }
        }
    }

    /// The BMS's state as its RS485 answers show it, or `None` while it sleeps (issue
    /// text: "Asleep, the BMS is silent on CAN and RS485").
    pub(crate) fn rs485_status(&self) -> Option<PylonStatus> {
        let reading = self.reading();
        let report = self.firmware.can_report(reading)?;
        // The temperature flag of the report carries the reporting defects.
        let [chtp, dhtp, _, _] = self.firmware.temperature_protections();
        Some(PylonStatus {
            charge_mosfet_on: self.firmware.charge_mosfet_on(),
            discharge_mosfet_on: self.firmware.discharge_mosfet_on(),
            cell_voltages: self.pack.cell_voltages(reading.current_a),
            charge_over_temperature: report.over_temperature && chtp,
            discharge_over_temperature: report.over_temperature && dhtp,
            report,
        })
    }

    pub(crate) fn snapshot(&self) -> SimSnapshot {
        let point = self.operating_point();
        let reading = self.reading();
        let s = &self.source;
        SimSnapshot {
            elapsed: self.now - self.started,
            source: SourceSnapshot {
                output_on: s.output_on,
                voltage_setpoint_v: s.voltage_v,
                current_limit_pos_a: s.current_limit_pos_a,
                current_limit_neg_a: s.current_limit_neg_a,
                ovp_v: s.ovp_v,
                ocp_a: s.ocp_a,
                tripped: s.tripped,
                measured_voltage_v: point.voltage_v,
                measured_current_a: point.current_a,
            },
            relays: RelaySnapshot {
                closed: std::array::from_fn(|ch| self.relay_line(ch)),
                inputs: std::array::from_fn(|ch| self.board.input(ch)),
                linkage: std::array::from_fn(|ch| self.board.in_linkage(ch)),
            },
            dry_contacts: self.firmware.dry_contacts(),
            bms: BmsSnapshot {
                charge_mosfet_on: self.firmware.charge_mosfet_on(),
                discharge_mosfet_on: self.firmware.discharge_mosfet_on(),
                cocp_active: self.firmware.cocp_active(),
                docp_active: self.firmware.docp_active(),
                docp_locked: self.firmware.docp_locked(),
                over_voltage_active: self.firmware.over_voltage_active(),
                under_voltage_active: self.firmware.under_voltage_active(),
                rapid_shutdown_active: self.firmware.rapid_shutdown_active(),
                auto_wakes: self.firmware.auto_wakes(),
                cocp_trips: self.firmware.cocp_trips(),
                locked: self.firmware.locked(),
                asleep: self.firmware.asleep(),
                soc: self.pack.soc(),
                pack_voltage_v: reading.voltage_v,
                pack_current_a: reading.current_a,
                temperature_c: reading.temperature_c,
                over_temperature_active: self.firmware.over_temperature_active(),
                under_temperature_active: self.firmware.under_temperature_active(),
                temperature_protections: self.firmware.temperature_protections(),
                failures: self.firmware.failures(),
                cell_voltages_v: self.pack.cell_voltages(reading.current_a),
                cell_socs: self.pack.cell_socs(),
                balancing: self.bleeding(&reading),
                cell_imbalance_warning: self.firmware.cell_imbalance_warning(&reading),
                precharging: self.firmware.precharge_resistance_ohm().is_some(),
                precharge_failures: self.firmware.precharge_failures(),
            },
            chamber: ChamberSnapshot {
                air_c: self.chamber.air.air_c(),
                set_point_c: self.chamber.air.set_point_c(),
                running: self.chamber.air.running(),
            },
            can: CanSnapshot {
                frames_sent: self.can_frames_sent,
                encode_errors: self.can_encode_errors,
                keepalive_frames_received: self.keepalive_frames_received,
                last_keepalive_s: self
                    .last_keepalive
                    .map(|t| t.duration_since(self.started).as_secs_f64()),
            },
        }
    }

    /// A frame from the inverter side of the bus arrived at `now`.
    pub(crate) fn frame_received(&mut self, frame: &CanFrame, now: Instant) {
        if frame.id().raw() == u32::from(rig_drivers::can::KEEP_ALIVE_ID) {
            self.keepalive_frames_received += 1;
            self.last_keepalive = Some(now);
        }
    }

    /// Relay line `line` (0-based) as the wiring sees it: the contact of the relay
    /// instrument that switched it last (the Waveshare board until another one does).
    pub(crate) fn relay_line(&self, line: usize) -> bool {
        self.front_ends.lines.closed(line, &self.board)
    }

    /// A relay front end other than the Waveshare board switched `line`; call
    /// [`World::settle`] afterwards so the wiring reacts.
    pub(crate) fn drive_relay_line(&mut self, line: usize, closed: bool) {
        self.front_ends.lines.drive(line, closed);
    }

    /// Input line `line` (0-based): what the bench wires to it (input 1 dry contact 1,
    /// input 2 dry contact 2, inputs 3-8 the LEDs' photo sensors), whichever instrument
    /// reads it.
    pub(crate) fn input_line(&self, line: usize) -> bool {
        self.board.input(line)
    }

    fn operating_point(&self) -> OperatingPoint {
        self.bench_point().source
    }

    fn bench_point(&self) -> BenchPoint {
        operate(&self.source, &self.terminal(), self.contactors())
    }

    fn contactors(&self) -> Contactors {
        Contactors {
            short_circuit: self.relay_line(SHORT_CIRCUIT_RELAY),
            reversed: self.relay_line(REVERSE_POLARITY_RELAY),
        }
    }

    /// RS485 0x95 "Turn off module" was answered.
    pub(crate) fn turn_off(&mut self) {
        self.firmware.turn_off();
        self.settle();
    }

    /// Bytes arrived on the pack's RS232 port.
    pub(crate) fn rs232_activity(&mut self) {
        self.firmware.rs232_activity();
        self.settle();
    }

    /// The cell stack as the BMS measures it, and the charger at its terminals: with the
    /// source's output on, the BMS sees the source's set point across its open MOSFETs
    /// (LOSUN 2.3-3 wake-up 1, "charger output voltage is greater than 48V"), with the
    /// wrong sign through the reversing contactor, and nothing across a short.
    fn reading(&self) -> PackReading {
        let point = self.bench_point();
        let current_a = point.pack_current_a;
        let (min_cell_v, max_cell_v) =
            extremes(&self.pack.cell_voltages(current_a)).unwrap_or((0.0, 0.0));
        PackReading {
            voltage_v: self.pack.ocv() + current_a * self.pack.resistance_ohm(),
            max_cell_v,
            min_cell_v,
            current_a,
            soc: self.pack.soc(),
            charger_v: point.terminal_v,
            temperature_c: self.thermal.temperature_c(),
            terminal_v: point.source.voltage_v,
        }
    }

    /// Carry the dry contacts and the LEDs to the board's inputs, relay 1 to the button,
    /// relay 2 to the rapid-shutdown input and relay 5 to the NTC lead. Returns whether
    /// the firmware saw a change (it may then have changed too).
    fn sync_wiring(&mut self) -> bool {
        let contacts = self.firmware.dry_contacts();
        self.board
            .set_input(CHARGE_ENABLE_INPUT, contacts.charge_enable);
        self.board
            .set_input(DISCHARGE_ENABLE_INPUT, contacts.discharge_enable);
        let leds = self.firmware.leds(self.now - self.started, self.reading());
        self.board.set_input(RUN_LED_INPUT, leds.run);
        self.board.set_input(ALM_LED_INPUT, leds.alm);
        for (input, lit) in SOC_LED_INPUTS.zip(leds.level.iter().chain(std::iter::repeat(&false))) {
            self.board.set_input(input, *lit);
        }
        let ntc_open = self.relay_line(NTC_OPEN_RELAY);
        let ntc_changed = ntc_open != self.ntc_open;
        if ntc_changed {
            self.ntc_open = ntc_open;
            self.firmware.set_ntc_open(self.now, ntc_open);
        }
        let rsd = self.relay_line(RAPID_SHUTDOWN_RELAY);
        let rsd_changed = rsd != self.rsd_closed;
        if rsd_changed {
            self.rsd_closed = rsd;
            self.firmware.set_rapid_shutdown(self.now, rsd);
        }
        let held = self.relay_line(RESET_BUTTON_RELAY);
        if held == self.button_held {
            return rsd_changed || ntc_changed;
        }
        self.button_held = held;
        if held {
            self.firmware.press_button(self.now);
        } else {
            self.firmware.release_button(self.now);
        }
        true
    }
}
