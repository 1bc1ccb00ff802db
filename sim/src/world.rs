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
//! Packs in parallel (`Installation::packs`, see `bus` and `unit`): pack 0 is the
//! master. The bench is wired to the master and the common terminals: the button,
//! the dry contacts, the LEDs, relay 5 (NTC lead) and the contactors. Relay 2 drives
//! every pack's rapid-shutdown input: the installer wires the inputs in parallel, so
//! that a rapid shutdown does not depend on the internal link (an assumption; neither
//! manual says). Relay 6 opens the NTC lead of the last pack in the chain (a slave
//! fault a plan can inject; nothing with one pack). The master's 3-6 s press to sleep
//! sends the slaves to sleep, then the master (LOSUN 2.3-2 "the master pack will shut
//! down after all slave packs shut down"; assumed for Lesso too), in the same instant;
//! a press that wakes the master wakes its slaves. The master alone talks CAN, for the
//! whole system (`bms::aggregate`). With several packs, inter-pack equalising currents
//! below `QUIET_A` do not force one-second steps.
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

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use rig_drivers::can::{CanDatabase, CanFrame};

use crate::bms::{CanReport, Member, PackReading, PylonStatus, aggregate, encode_frames};
use crate::bus::{BusPoint, BusTerminal, operate_bus};
use crate::circuit::SourceSettings;
use crate::clock::{Duration, Instant};
use crate::config::{BalancingParams, MAX_PACKS, SimConfig};
use crate::contactors::{Contactors, protect_source};
use crate::defects::{Defect, DefectSet};
use crate::instruments::{F4tController, FrontEnds, RelayBoard, ScpiStatus, power_on_settings_for};
use crate::snapshot::{
    CanSnapshot, ChamberSnapshot, PackSnapshot, RelaySnapshot, SimSnapshot, SourceSnapshot,
};
use crate::unit::PackUnit;

/// Longest integration step; the current is held constant over a step.
pub(crate) const MAX_STEP: Duration = Duration::from_secs(1);
/// Longest step while only temperatures move (no current): the air and the pack change
/// by well under 0.1 K in it, and a temperature trip is found within it.
const THERMAL_STEP: Duration = Duration::from_secs(5);
/// With several packs, currents this small (equalising between packs at rest, far
/// below the 0.5 A reporting dead band) are integrated in long steps, A.
const QUIET_A: f64 = 0.1;

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
/// Relay 6 (index 5) opens the NTC lead of the last pack in the chain (a slave).
const SLAVE_NTC_OPEN_RELAY: usize = 5;
/// Input 3 (index 2) reads the RUN LED, input 4 the ALM LED, inputs 5-8 SOC LEDs 1-4.
const RUN_LED_INPUT: usize = 2;
const ALM_LED_INPUT: usize = 3;
const SOC_LED_INPUTS: std::ops::Range<usize> = 4..8;
/// Channels 3-8 (indices 2-7) of the board were taken out of linkage when the
/// contactors, the NTC relays and the photo sensors were wired (see the module doc).
const COMMISSIONED_CHANNELS: std::ops::Range<usize> = 2..8;
/// Bound on the contact -> relay -> button -> firmware feedback within one instant.
const WIRING_PASSES: usize = 4;

#[derive(Debug)]
pub(crate) struct World {
    started: Instant,
    now: Instant,
    /// The packs in parallel, the master first; never empty.
    units: Vec<PackUnit>,
    /// Passive balancing as the DUT profile describes it (the firmware decides when).
    balancing: Option<BalancingParams>,
    /// The reporting dead band (Lesso FAQ Q4): smaller discharge currents are none.
    dead_band_a: f64,
    /// The defects, for what the master does for the whole system.
    defects: DefectSet,
    /// The thermal chamber's controller and the air around the packs.
    pub(crate) chamber: F4tController,
    pub(crate) source: SourceSettings,
    /// The source/sink's ratings (`SimConfig::source`).
    pub(crate) source_rating: crate::config::SourceRating,
    pub(crate) source_status: ScpiStatus,
    pub(crate) board: RelayBoard,
    /// The other instruments' front ends, and which one drives each relay line.
    pub(crate) front_ends: FrontEnds,
    /// Relay 1 as the button last saw it.
    button_held: bool,
    /// Relay 2 as the rapid-shutdown inputs last saw it.
    rsd_closed: bool,
    /// Relay 5 as the master's NTC lead last saw it.
    ntc_open: bool,
    /// Relay 6 as the last slave's NTC lead last saw it.
    slave_ntc_open: bool,
    can_frames_sent: u64,
    can_encode_errors: u64,
    /// Latched by the `can_hangs_on_protection` defect: the CAN node sends no more.
    can_hung: bool,
    keepalive_frames_received: u64,
    last_keepalive: Option<Instant>,
    /// Signalled when the master wakes, for the CAN node that waits out its sleep.
    master_woke: Arc<Notify>,
    /// The master as the last settle left it.
    master_was_asleep: bool,
}

/// Lock the shared world; a poisoned lock still holds a consistent world, since every
/// mutation completes without panicking.
pub(crate) fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The number of packs the world builds: `Installation::packs` within 1..=32 (the
/// validation refuses the others; the world never panics on them).
pub(crate) fn pack_count(config: &SimConfig) -> usize {
    usize::from(config.installation.packs.clamp(1, MAX_PACKS))
}

impl World {
    pub(crate) fn new(config: &SimConfig, now: Instant) -> Self {
        let p = &config.pack;
        let defects = DefectSet::from_list(&config.defects);
        let units = (0..pack_count(config) as u64)
            .map(|k| PackUnit::new(p, defects, k))
            .collect();
        let mut world = Self {
            started: now,
            now,
            units,
            balancing: p.balancing.clone(),
            dead_band_a: p.current_dead_band_a,
            defects,
            chamber: F4tController::new(p.temperature_c),
            source: power_on_settings_for(config.source),
            source_rating: config.source,
            source_status: ScpiStatus::default(),
            board: RelayBoard::commissioned(COMMISSIONED_CHANNELS),
            front_ends: FrontEnds::default(),
            button_held: false,
            rsd_closed: false,
            ntc_open: false,
            slave_ntc_open: false,
            can_frames_sent: 0,
            can_encode_errors: 0,
            can_hung: false,
            keepalive_frames_received: 0,
            last_keepalive: None,
            master_woke: Arc::new(Notify::new()),
            master_was_asleep: false,
        };
        world.settle();
        world
    }

    fn master(&self) -> &PackUnit {
        &self.units[0]
    }

    fn master_mut(&mut self) -> &mut PackUnit {
        &mut self.units[0]
    }

    /// Bring the world to `target`; earlier instants are ignored.
    ///
    /// While no current flows nothing in the pack changes, so the step runs to the next
    /// firmware deadline at once: a pack asleep for 48 h with a wake-up every 4 h costs a
    /// few dozen steps, not a tick every second. With several packs the next deadline is
    /// the earliest over all of them.
    pub(crate) fn advance_to(&mut self, target: Instant) {
        loop {
            self.settle();
            if self.now >= target {
                return;
            }
            let (_, readings) = self.readings();
            let flowing = match &readings[..] {
                [one] => one.current_a != 0.0,
                all => all.iter().any(|r| r.current_a.abs() > QUIET_A),
            };
            let air_c = self.chamber.air.air_c();
            let thermally_settled =
                self.chamber.air.settled() && self.units.iter().all(|u| u.thermal.settled(air_c));
            let mut end = if flowing {
                target.min(self.now + MAX_STEP)
            } else if !thermally_settled {
                target.min(self.now + THERMAL_STEP)
            } else {
                target
            };
            for (unit, reading) in self.units.iter().zip(&readings) {
                if let Some(deadline) = unit.firmware.next_deadline(self.now, reading) {
                    end = end.min(deadline);
                }
            }
            let dt = end - self.now;
            let air_before = self.chamber.air.air_c();
            self.chamber.air.advance(dt);
            let air = 0.5 * (air_before + self.chamber.air.air_c());
            let bleed_a = self.balancing.as_ref().map_or(0.0, |b| b.bleed_current_a);
            let (now, balancing, dead_band) = (self.now, self.balancing.as_ref(), self.dead_band_a);
            for (unit, reading) in self.units.iter_mut().zip(&readings) {
                unit.thermal
                    .integrate(air, reading.current_a, unit.pack.resistance_ohm(), dt);
                let bleeding = unit.bleeding(reading, balancing, dead_band);
                unit.pack
                    .integrate(reading.current_a, dt, &bleeding, bleed_a);
                unit.firmware.advance(now, end, reading);
            }
            self.now = end;
        }
    }

    /// Let the firmware, the source's protections and the wiring react to a change made
    /// at `now` (an instrument command, a firmware event).
    pub(crate) fn settle(&mut self) {
        self.settle_wiring();
        let asleep = self.master().firmware.asleep();
        if self.master_was_asleep && !asleep {
            self.master_woke.notify_one();
        }
        self.master_was_asleep = asleep;
    }

    fn settle_wiring(&mut self) {
        for _ in 0..WIRING_PASSES {
            let (_, readings) = self.readings();
            let now = self.now;
            for (unit, reading) in self.units.iter_mut().zip(&readings) {
                unit.firmware.advance(now, now, reading);
            }
            let contactors = self.contactors();
            if let ([unit], Contactors::NONE) = (&self.units[..], contactors) {
                // One pack: the source's own settle, exactly as before packs were many.
                let terminal = unit.terminal();
                self.source.settle(&terminal);
            } else {
                let point = self.bus_point().bench.source;
                protect_source(&mut self.source, &point);
            }
            if !self.sync_wiring() {
                return;
            }
        }
    }

    /// While the master sleeps: `Some` of the instant it wakes by itself, if it ever
    /// does (an automatic wake-up, a forced recharge); `None` while it is awake. Other
    /// wake-ups come from inputs and are signalled on [`World::master_woke`].
    pub(crate) fn master_asleep_until(&self) -> Option<Option<Instant>> {
        let master = self.master();
        if !master.firmware.asleep() {
            return None;
        }
        let (_, readings) = self.readings();
        Some(master.firmware.next_deadline(self.now, &readings[0]))
    }

    pub(crate) fn master_woke(&self) -> Arc<Notify> {
        Arc::clone(&self.master_woke)
    }

    /// The frame set the master sends now for the whole system (empty while it sleeps).
    pub(crate) fn can_frames(&mut self, db: &CanDatabase) -> Vec<CanFrame> {
        let Some(report) = self.system_report() else {
            return Vec::new();
        };
        if self.defects.has(Defect::CanHangsOnProtection) {
            self.can_hung |= report.any_protection();
            if self.can_hung {
                return Vec::new();
            }
        }
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

    /// The master's report for the whole system, or `None` while the master sleeps.
    fn system_report(&self) -> Option<CanReport> {
        // Asleep, the master sends nothing: no need to solve the circuit (the CAN node
        // asks every period through a 48 h sleep).
        if self.master().firmware.asleep() {
            return None;
        }
        let (point, readings) = self.readings();
        let reports: Vec<Option<CanReport>> = self
            .units
            .iter()
            .zip(readings)
            .map(|(u, r)| u.firmware.can_report(r))
            .collect();
        let mut members = self.units.iter().zip(&reports).map(|(unit, report)| {
            report.as_ref().map(|report| Member {
                report,
                capacity_ah: unit.capacity_ah,
            })
        });
        let master = members.next().flatten()?;
        let slaves: Vec<Member<'_>> = members.flatten().collect();
        Some(aggregate(
            master,
            &slaves,
            self.units.len(),
            point.bus_v,
            self.defects,
        ))
    }

    /// Each pack's state as its RS485 answers show it, `None` for a pack asleep (issue
    /// text: "Asleep, the BMS is silent on CAN and RS485"). Each pack answers for itself.
    pub(crate) fn rs485_statuses(&self) -> Vec<Option<PylonStatus>> {
        let (_, readings) = self.readings();
        self.units
            .iter()
            .zip(readings)
            .map(|(unit, reading)| {
                let fw = &unit.firmware;
                let report = fw.can_report(reading)?;
                // The temperature flag of the report carries the reporting defects.
                let [chtp, dhtp, _, _] = fw.temperature_protections();
                let (over_voltage, under_voltage) = fw.voltage_levels();
                Some(PylonStatus {
                    over_voltage,
                    under_voltage,
                    charge_mosfet_on: fw.charge_mosfet_on(),
                    discharge_mosfet_on: fw.discharge_mosfet_on(),
                    cell_voltages: unit.pack.cell_voltages(reading.current_a),
                    charge_over_temperature: report.over_temperature && chtp,
                    discharge_over_temperature: report.over_temperature && dhtp,
                    report,
                })
            })
            .collect()
    }

    pub(crate) fn snapshot(&self) -> SimSnapshot {
        let (bus, readings) = self.readings();
        let point = bus.bench.source;
        let s = &self.source;
        let several = self.units.len() > 1;
        let packs: Vec<PackSnapshot> = self
            .units
            .iter()
            .zip(&readings)
            .enumerate()
            .map(|(k, (unit, reading))| {
                let bms = unit.snapshot(reading, self.balancing.as_ref(), self.dead_band_a);
                PackSnapshot {
                    master: k == 0,
                    // Lesso 3.3.3 F: "Single mode: OFF. Parallel mode: ON- Master
                    // battery OFF-Slave battery"; dark while asleep, as every LED.
                    ms_led: k == 0 && several && !bms.asleep,
                    bms,
                }
            })
            .collect();
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
            dry_contacts: self.master().firmware.dry_contacts(),
            bms: packs[0].bms.clone(),
            packs,
            bus_voltage_v: bus.bus_v,
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
        // The master talks to the inverter: what it hears keeps it out of standby.
        self.master_mut().firmware.communicated(now);
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

    /// The packs as the source/sink and the loads see them now.
    pub(crate) fn terminal(&self) -> BusTerminal {
        BusTerminal {
            packs: self.units.iter().map(PackUnit::terminal).collect(),
        }
    }

    /// The circuit of source, contactors and every pack now.
    fn bus_point(&self) -> BusPoint {
        let terminals: Vec<_> = self.units.iter().map(PackUnit::terminal).collect();
        operate_bus(&self.source, &terminals, self.contactors())
    }

    fn contactors(&self) -> Contactors {
        Contactors {
            short_circuit: self.relay_line(SHORT_CIRCUIT_RELAY),
            reversed: self.relay_line(REVERSE_POLARITY_RELAY),
        }
    }

    /// RS485 0x95 "Turn off module" was answered by pack `index` (0: the master).
    pub(crate) fn turn_off(&mut self, index: usize) {
        if let Some(unit) = self.units.get_mut(index) {
            unit.firmware.turn_off();
        }
        self.settle();
    }

    /// Pack `index` (0: the master) answered a request on RS485.
    pub(crate) fn communicated(&mut self, index: usize) {
        let now = self.now;
        if let Some(unit) = self.units.get_mut(index) {
            unit.firmware.communicated(now);
        }
    }

    /// Bytes arrived on the master's RS232 port.
    pub(crate) fn rs232_activity(&mut self) {
        self.master_mut().firmware.rs232_activity();
        self.settle();
    }

    /// The circuit, and what each pack's BMS measures in it: its cell stack, and the
    /// charger at its terminals: with the source's output on, the BMS sees the source's
    /// set point across its open MOSFETs (LOSUN 2.3-3 wake-up 1, "charger output
    /// voltage is greater than 48V"), with the wrong sign through the reversing
    /// contactor, and nothing across a short.
    fn readings(&self) -> (BusPoint, Vec<PackReading>) {
        let point = self.bus_point();
        let readings = self
            .units
            .iter()
            .zip(&point.pack_currents)
            .map(|(unit, current)| unit.reading(*current, &point.bench))
            .collect();
        (point, readings)
    }

    /// Carry the master's dry contacts and LEDs to the board's inputs, relay 1 to the
    /// master's button, relay 2 to every pack's rapid-shutdown input, relay 5 to the
    /// master's NTC lead and relay 6 to the last slave's. Returns whether a firmware saw
    /// a change (it may then have changed too).
    fn sync_wiring(&mut self) -> bool {
        let contacts = self.master().firmware.dry_contacts();
        self.board
            .set_input(CHARGE_ENABLE_INPUT, contacts.charge_enable);
        self.board
            .set_input(DISCHARGE_ENABLE_INPUT, contacts.discharge_enable);
        let (_, readings) = self.readings();
        let leds = self
            .master()
            .firmware
            .leds(self.now - self.started, readings[0]);
        self.board.set_input(RUN_LED_INPUT, leds.run);
        self.board.set_input(ALM_LED_INPUT, leds.alm);
        for (input, lit) in SOC_LED_INPUTS.zip(leds.level.iter().chain(std::iter::repeat(&false))) {
            self.board.set_input(input, *lit);
        }
        let now = self.now;
        let ntc_open = self.relay_line(NTC_OPEN_RELAY);
        let ntc_changed = ntc_open != self.ntc_open;
        if ntc_changed {
            self.ntc_open = ntc_open;
            self.master_mut().firmware.set_ntc_open(now, ntc_open);
        }
        let slave_ntc_open = self.relay_line(SLAVE_NTC_OPEN_RELAY);
        let mut slave_ntc_changed = false;
        if slave_ntc_open != self.slave_ntc_open {
            self.slave_ntc_open = slave_ntc_open;
            if let [_, .., last] = &mut self.units[..] {
                last.firmware.set_ntc_open(now, slave_ntc_open);
                slave_ntc_changed = true;
            }
        }
        let rsd = self.relay_line(RAPID_SHUTDOWN_RELAY);
        let rsd_changed = rsd != self.rsd_closed;
        if rsd_changed {
            self.rsd_closed = rsd;
            for unit in &mut self.units {
                unit.firmware.set_rapid_shutdown(now, rsd);
            }
        }
        let held = self.relay_line(RESET_BUTTON_RELAY);
        if held == self.button_held {
            return rsd_changed || ntc_changed || slave_ntc_changed;
        }
        self.button_held = held;
        if held {
            self.master_mut().firmware.press_button(now);
        } else {
            self.release_master_button(now);
        }
        true
    }

    /// The master's button released: a press that put the master to sleep sends the
    /// slaves to sleep (LOSUN 2.3-2), one that woke it wakes them.
    fn release_master_button(&mut self, now: Instant) {
        let was_asleep = self.master().firmware.asleep();
        self.master_mut().firmware.release_button(now);
        let asleep = self.master().firmware.asleep();
        if asleep == was_asleep {
            return;
        }
        for slave in self.units.iter_mut().skip(1) {
            if asleep {
                slave.firmware.sleep_by_master();
            } else {
                slave.firmware.wake_by_master(now);
            }
        }
    }
}
