//! The packs of one parallel group on the RS485 bus (protocols.md §2.5, single group):
//! the master at its DIP address, the k-th slave at that address + k ("master battery
//! ADR = 0x02, slaves 0x03, 0x04, …"). Each answers the per-battery commands for its
//! own pack; the master alone answers 0x42/0x44 with command value 0xFF for the whole
//! group. A pack asleep is silent, and so is an address outside the chain.

use rig_drivers::rs485::pylontech::{BadFrame, Frame};

use super::rs485::{PylonBms, PylonStatus};
use crate::config::PackParams;
use crate::defects::{Defect, DefectSet};

/// The group as the RS485 bus sees it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PylonChain {
    /// Pack k at its address, the master first. Addresses past 0xFE do not exist.
    packs: Vec<PylonBms>,
    /// `slave_silent_on_rs485`: only the master answers.
    slaves_silent: bool,
}

/// An answer, the pack that gave it, and the pack a 0x95 "Turn off module" it accepted
/// turns off.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChainAnswer {
    pub(crate) frame: Frame,
    /// Pack k of the chain (0: the master).
    pub(crate) pack: usize,
    pub(crate) turn_off: Option<usize>,
}

impl PylonChain {
    /// `packs` packs from the master's DIP `address` on.
    pub(crate) fn new(p: &PackParams, address: u8, packs: usize, defects: DefectSet) -> Self {
        let master = PylonBms::new(p, address);
        let packs = (0..packs.max(1))
            .map_while(|k| {
                let adr = u8::try_from(k)
                    .ok()
                    .and_then(|k| address.checked_add(k))
                    .filter(|adr| *adr != 0xFF)?;
                Some(master.in_chain(k, adr))
            })
            .collect();
        Self {
            packs,
            slaves_silent: defects.has(Defect::SlaveSilentOnRs485),
        }
    }

    /// The pack at `adr` that answers now: in the chain, awake (`statuses[k]`), and not
    /// a slave silenced by the defect.
    fn responder<'a>(
        &'a self,
        adr: u8,
        statuses: &'a [Option<PylonStatus>],
    ) -> Option<(usize, &'a PylonBms, &'a PylonStatus)> {
        let k = self.packs.iter().position(|p| p.address() == adr)?;
        if k > 0 && self.slaves_silent {
            return None;
        }
        let status = statuses.get(k)?.as_ref()?;
        Some((k, &self.packs[k], status))
    }

    /// The answer to a frame that decoded; `statuses[k]` is pack k's state (`None`:
    /// asleep).
    pub(crate) fn answer(
        &self,
        request: &Frame,
        statuses: &[Option<PylonStatus>],
    ) -> Option<ChainAnswer> {
        let (k, bms, status) = self.responder(request.adr, statuses)?;
        let system: Vec<&PylonStatus> = if k == 0 {
            statuses.iter().flatten().collect()
        } else {
            Vec::new()
        };
        let frame = bms.answer_in(request, status, &system)?;
        let turn_off = PylonBms::turns_off(request, &frame).then_some(k);
        Some(ChainAnswer {
            frame,
            pack: k,
            turn_off,
        })
    }

    /// The answer to a frame that failed the codec's checks: the return code from the
    /// pack it is addressed to, if that one answers.
    pub(crate) fn answer_bad(
        &self,
        body: &[u8],
        bad: &BadFrame,
        statuses: &[Option<PylonStatus>],
    ) -> Option<Frame> {
        self.packs
            .iter()
            .filter(|bms| self.responder(bms.address(), statuses).is_some())
            .find_map(|bms| bms.answer_bad(body, bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bms::rs485::tests::status;
    use rig_drivers::rs485::pylontech::{
        AlarmInfo, AnalogData, CID1_BATTERY, FirmwareVersion, SerialNumber, decode_frame,
    };

    fn chain(defects: &[Defect]) -> PylonChain {
        PylonChain::new(
            &PackParams::lesso_lsrr51v100ah(),
            2,
            3,
            DefectSet::from_list(defects),
        )
    }

    fn request(adr: u8, cid2: u8, value: u8) -> Frame {
        Frame {
            ver: 0x20,
            adr,
            cid1: CID1_BATTERY,
            cid2,
            info: vec![value],
        }
    }

    fn statuses() -> Vec<Option<PylonStatus>> {
        (0..3)
            .map(|k| {
                let mut s = status();
                s.report.pack_current_a = -f64::from(k + 1);
                Some(s)
            })
            .collect()
    }

    #[test]
    fn each_pack_answers_at_its_own_address_with_its_own_data() {
        let c = chain(&[]);
        let s = statuses();
        for (k, adr) in [2u8, 3, 4].into_iter().enumerate() {
            let a = c.answer(&request(adr, 0x42, adr), &s).unwrap();
            assert_eq!(a.frame.adr, adr);
            let data = AnalogData::parse(&a.frame.info).unwrap();
            assert_eq!(data.command_value, adr);
            assert_eq!(data.current, -(k as f64 + 1.0));
        }
        assert_eq!(c.answer(&request(5, 0x42, 5), &s), None);
        assert_eq!(c.answer(&request(1, 0x42, 1), &s), None);
    }

    #[test]
    fn the_master_answers_0xff_for_every_awake_module_and_a_slave_refuses_it() {
        let c = chain(&[]);
        let mut s = statuses();
        let a = c.answer(&request(2, 0x42, 0xFF), &s).unwrap();
        let one = c.answer(&request(2, 0x42, 2), &s).unwrap().frame.info.len();
        assert_eq!(a.frame.info[1], 3);
        assert_eq!(a.frame.info.len(), 2 + 3 * (one - 2));
        let a = c.answer(&request(3, 0x44, 0xFF), &s).unwrap();
        assert_eq!(a.frame.cid2, 0x90);
        s[2] = None;
        let a = c.answer(&request(2, 0x44, 0xFF), &s).unwrap();
        assert_eq!(a.frame.info[1], 2);
        assert_eq!(c.answer(&request(4, 0x42, 4), &s), None, "asleep: silent");
    }

    #[test]
    fn the_twin_s_whole_system_answer_is_each_pack_s_own_block() {
        let c = chain(&[]);
        let mut s = statuses();
        let whole = c.answer(&request(2, 0x42, 0xFF), &s).unwrap().frame;
        let modules = AnalogData::parse_system(&whole.info).unwrap();
        assert_eq!(modules.len(), 3);
        for (k, module) in modules.into_iter().enumerate() {
            let adr = 2 + k as u8;
            let own = c.answer(&request(adr, 0x42, adr), &s).unwrap().frame;
            let own = AnalogData::parse(&own.info).unwrap();
            assert_eq!(module.command_value, 0xFF);
            assert_eq!(
                AnalogData {
                    command_value: adr,
                    ..module
                },
                own,
                "pack {k}"
            );
        }
        s[1] = None;
        let whole = c.answer(&request(2, 0x44, 0xFF), &s).unwrap().frame;
        let alarms = AlarmInfo::parse_system(&whole.info).unwrap();
        assert_eq!(alarms.len(), 2, "the sleeping slave is left out");
    }

    #[test]
    fn each_pack_has_its_own_serial_and_the_profile_s_firmware() {
        let c = chain(&[]);
        let mut s = statuses();
        let serials: Vec<String> = [2u8, 3, 4]
            .into_iter()
            .map(|adr| {
                let a = c.answer(&request(adr, 0x93, adr), &s).unwrap().frame;
                SerialNumber::parse(&a.info).unwrap().serial
            })
            .collect();
        assert_eq!(
            serials,
            ["SRR51V100AH-0001", "SRR51V100AH-00-1", "SRR51V100AH-00-2"]
        );
        for adr in [2u8, 3, 4] {
            let a = c.answer(&request(adr, 0x96, adr), &s).unwrap().frame;
            let v = FirmwareVersion::parse(&a.info).unwrap();
            assert_eq!((v.command_value, v.raw()), (adr, [1, 0, 1, 0, 0]));
        }
        // Asleep or silenced: no answer, as for any other command.
        s[2] = None;
        assert_eq!(c.answer(&request(4, 0x93, 4), &s), None);
        let silent = chain(&[Defect::SlaveSilentOnRs485]);
        assert_eq!(silent.answer(&request(3, 0x96, 3), &s), None);
        // A slave's command value must be its own address.
        let a = c.answer(&request(3, 0x93, 2), &s).unwrap();
        assert_eq!(a.frame.cid2, 0x90);
    }

    #[test]
    fn turn_off_names_the_addressed_pack_and_silent_slaves_say_nothing() {
        let s = statuses();
        let a = chain(&[]).answer(&request(3, 0x95, 3), &s).unwrap();
        assert_eq!(a.turn_off, Some(1));
        let a = chain(&[]).answer(&request(3, 0x95, 2), &s).unwrap();
        assert_eq!((a.frame.cid2, a.turn_off), (0x90, None));
        let silent = chain(&[Defect::SlaveSilentOnRs485]);
        assert_eq!(silent.answer(&request(3, 0x42, 3), &s), None);
        assert!(silent.answer(&request(2, 0x42, 2), &s).is_some());
    }

    #[test]
    fn a_bad_frame_gets_its_code_from_the_addressed_pack_only() {
        let c = chain(&[]);
        let s = statuses();
        let body = b"20034642E00203FD32";
        let bad = decode_frame(body).unwrap_err();
        assert_eq!(c.answer_bad(body, &bad, &s).map(|f| f.adr), Some(3));
        let body = b"20054642E00205FD30";
        let bad = decode_frame(body).unwrap_err();
        assert_eq!(c.answer_bad(body, &bad, &s), None);
    }

    #[test]
    fn addresses_stop_before_0xff() {
        let c = PylonChain::new(
            &PackParams::lesso_lsrr51v100ah(),
            0xFD,
            32,
            DefectSet::default(),
        );
        assert_eq!(c.packs.len(), 2);
    }
}
