//! CAN signals decoded and encoded from a DBC file (dbc-rs), never by hand-written bit
//! fiddling: the DBC in `testplans/dbc/` is the single description of the BMS frames.

use super::frame::{CanFrame, CanId};

/// Physical meaning of a signal, from its DBC unit string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalKind {
    /// A one-bit flag without a unit: a boolean.
    Flag,
    /// A number with the DBC unit (`V`, `A`, `%`, `degC`, or none).
    Number,
}

/// What the DBC says about one signal.
#[derive(Clone, Debug, PartialEq)]
pub struct SignalInfo {
    pub name: String,
    pub message_id: CanId,
    pub message_name: String,
    pub unit: String,
    pub kind: SignalKind,
}

/// One decoded value.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedSignal {
    pub name: String,
    pub value: f64,
}

/// The outcome of decoding one frame.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DecodedFrame {
    pub signals: Vec<DecodedSignal>,
    /// Signals of this message that the frame's DLC was too short to carry. Real BMSs
    /// send shorter frames than the DBC (0x351 with DLC 6), so this is not an error.
    pub missing: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbcError {
    #[error("invalid DBC file: {0}")]
    Parse(String),
    #[error("the DBC has no message with id {0}")]
    UnknownMessage(CanId),
    #[error("the DBC message {message} has no signal `{signal}`")]
    UnknownSignal { message: CanId, signal: String },
    #[error("cannot encode {signal} = {value} into message {message}: {reason}")]
    Encode {
        message: CanId,
        signal: String,
        value: f64,
        reason: String,
    },
}

/// A parsed DBC database: one file, or several read as one (ids looked up in order).
pub struct CanDatabase {
    dbcs: Vec<dbc_rs::Dbc>,
}

impl std::fmt::Debug for CanDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CanDatabase")
            .field(
                "messages",
                &self.dbcs.iter().map(|d| d.messages().len()).sum::<usize>(),
            )
            .finish()
    }
}

/// dbc-rs marks extended ids by bit 31 in its lookups (private constant upstream).
const EXTENDED_ID_FLAG: u32 = 0x8000_0000;

fn raw_id(id: CanId) -> u32 {
    match id {
        CanId::Standard(raw) => u32::from(raw),
        CanId::Extended(raw) => raw | EXTENDED_ID_FLAG,
    }
}

fn can_id(message: &dbc_rs::Message) -> CanId {
    if message.is_extended() {
        CanId::Extended(message.id())
    } else {
        CanId::Standard((message.id() & 0x7FF) as u16)
    }
}

impl CanDatabase {
    pub fn parse(text: &str) -> Result<Self, DbcError> {
        Self::parse_all(&[text])
    }

    /// Several DBC files as one database; an id defined twice is read from the first.
    pub fn parse_all(texts: &[&str]) -> Result<Self, DbcError> {
        let dbcs = texts
            .iter()
            .map(|text| dbc_rs::Dbc::parse(text).map_err(|e| DbcError::Parse(e.to_string())))
            .collect::<Result<_, _>>()?;
        Ok(Self { dbcs })
    }

    fn message(&self, id: CanId) -> Option<&dbc_rs::Message> {
        self.dbcs
            .iter()
            .find_map(|dbc| dbc.messages().find_by_id(raw_id(id)))
    }

    /// Every signal of every message, in file order.
    pub fn signals(&self) -> Vec<SignalInfo> {
        let mut out = Vec::new();
        for message in self.dbcs.iter().flat_map(|dbc| dbc.messages().iter()) {
            for signal in message.signals().iter() {
                let unit = signal.unit().unwrap_or("").to_string();
                let kind = if signal.length() == 1 && unit.is_empty() {
                    SignalKind::Flag
                } else {
                    SignalKind::Number
                };
                out.push(SignalInfo {
                    name: signal.name().to_string(),
                    message_id: can_id(message),
                    message_name: message.name().to_string(),
                    unit,
                    kind,
                });
            }
        }
        out
    }

    /// Whether the DBC describes frames with this id.
    pub fn knows(&self, id: CanId) -> bool {
        self.message(id).is_some()
    }

    /// Decode every signal the frame's payload carries.
    pub fn decode(&self, frame: &CanFrame) -> Result<DecodedFrame, DbcError> {
        let message = self
            .message(frame.id())
            .ok_or(DbcError::UnknownMessage(frame.id()))?;
        let mut decoded = DecodedFrame::default();
        let payload_bits = frame.dlc() * 8;
        for (index, signal) in message.signals().iter().enumerate() {
            // Intel signals span start_bit..start_bit+length; a shorter DLC cuts them off.
            let end_bit = usize::from(signal.start_bit()) + usize::from(signal.length());
            let value = if end_bit <= payload_bits {
                message.decode_signal(index, frame.data())
            } else {
                None
            };
            match value {
                Some(value) => decoded.signals.push(DecodedSignal {
                    name: signal.name().to_string(),
                    value,
                }),
                None => decoded.missing.push(signal.name().to_string()),
            }
        }
        Ok(decoded)
    }

    /// The names of the signals of the message with this id, in the order
    /// [`CanDatabase::decode_each`] indexes them; empty for an id the DBC lacks.
    pub fn signal_names(&self, id: CanId) -> Vec<&str> {
        self.message(id)
            .map(|m| m.signals().iter().map(|s| s.name()).collect())
            .unwrap_or_default()
    }

    /// Each signal the frame's payload carries, with its index in its message and its
    /// name, as [`CanDatabase::decode`] finds them but without building a list: what a
    /// busy bus's sampler calls for every frame.
    pub fn decode_each(
        &self,
        frame: &CanFrame,
        mut each: impl FnMut(usize, &str, f64),
    ) -> Result<(), DbcError> {
        let message = self
            .message(frame.id())
            .ok_or(DbcError::UnknownMessage(frame.id()))?;
        let payload_bits = frame.dlc() * 8;
        for (index, signal) in message.signals().iter().enumerate() {
            let end_bit = usize::from(signal.start_bit()) + usize::from(signal.length());
            if end_bit <= payload_bits
                && let Some(value) = message.decode_signal(index, frame.data())
            {
                each(index, signal.name(), value);
            }
        }
        Ok(())
    }

    /// Encode a frame of the DBC's DLC; signals not given are zero.
    pub fn encode(&self, id: CanId, values: &[(&str, f64)]) -> Result<CanFrame, DbcError> {
        let message = self.message(id).ok_or(DbcError::UnknownMessage(id))?;
        let mut payload = vec![0u8; usize::from(message.dlc())];
        for &(name, value) in values {
            let signal = message
                .signals()
                .iter()
                .find(|s| s.name() == name)
                .ok_or_else(|| DbcError::UnknownSignal {
                    message: id,
                    signal: name.to_string(),
                })?;
            signal
                .encode_to(value, &mut payload)
                .map_err(|e| DbcError::Encode {
                    message: id,
                    signal: name.to_string(),
                    value,
                    reason: e.to_string(),
                })?;
        }
        CanFrame::new(id, &payload).map_err(|e| DbcError::Encode {
            message: id,
            signal: String::new(),
            value: 0.0,
            reason: e.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    //! Byte examples from docs/protocols.md section 1.9 (captured
    //! Pylontech US5000 frames, and a 16S 100 Ah pack encoded by hand there).
    use super::*;
    use crate::can::PYLON_LV_DBC;

    fn db() -> CanDatabase {
        CanDatabase::parse(PYLON_LV_DBC).expect("shipped DBC parses")
    }

    fn value(decoded: &DecodedFrame, name: &str) -> f64 {
        decoded
            .signals
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} not decoded: {decoded:?}"))
            .value
    }

    fn frame(id: u16, bytes: &[u8]) -> CanFrame {
        CanFrame::standard(id, bytes).unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn decode_each_gives_what_decode_does_with_the_signal_indices() {
        let db = db();
        let f = frame(0x351, &[0x14, 0x02, 0xC0, 0x12, 0xC0, 0x12, 0xC2, 0x01]);
        let mut each = Vec::new();
        db.decode_each(&f, |i, name, value| each.push((i, name.to_string(), value)))
            .unwrap();
        let listed = db.decode(&f).unwrap().signals;
        assert_eq!(each.len(), listed.len());
        for ((i, name, value), s) in each.iter().zip(&listed) {
            assert_eq!((name, *value), (&s.name, s.value), "signal {i}");
        }
        assert_eq!(each.iter().map(|e| e.0).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert!(db.decode_each(&frame(0x7FF, &[]), |_, _, _| {}).is_err());
        let names = db.signal_names(f.id());
        assert_eq!(names.len(), 4);
        assert!(each.iter().all(|(i, name, _)| names[*i] == name));
        assert!(db.signal_names(CanId::Standard(0x7FF)).is_empty());
    }

    #[test]
    fn decodes_0x351_limits_from_capture() {
        let d = db()
            .decode(&frame(
                0x351,
                &[0x14, 0x02, 0xC0, 0x12, 0xC0, 0x12, 0xC2, 0x01],
            ))
            .unwrap();
        assert!(close(value(&d, "charge_voltage_limit"), 53.2));
        assert!(close(value(&d, "charge_current_limit"), 480.0));
        assert!(close(value(&d, "discharge_current_limit"), 480.0));
        assert!(close(value(&d, "discharge_voltage_limit"), 45.0));
        assert!(d.missing.is_empty());
    }

    #[test]
    fn decodes_0x355_soc_soh() {
        let d = db()
            .decode(&frame(0x355, &[0x58, 0x00, 0x5E, 0x00]))
            .unwrap();
        assert!(close(value(&d, "soc"), 88.0));
        assert!(close(value(&d, "soh"), 94.0));
    }

    #[test]
    fn decodes_0x356_signed_current_discharging() {
        let d = db()
            .decode(&frame(0x356, &[0x7A, 0x13, 0xF2, 0xFE, 0x6B, 0x01]))
            .unwrap();
        assert!(close(value(&d, "pack_voltage"), 49.86));
        assert!(close(value(&d, "pack_current"), -27.0));
        assert!(close(value(&d, "pack_temperature"), 36.3));
    }

    #[test]
    fn decodes_0x359_no_flags_six_modules() {
        let d = db()
            .decode(&frame(0x359, &[0x00, 0x00, 0x00, 0x00, 0x06, 0x50, 0x4E]))
            .unwrap();
        assert!(close(value(&d, "module_count"), 6.0));
        assert!(close(value(&d, "protection_charge_overcurrent"), 0.0));
        assert!(close(value(&d, "product_code_0"), f64::from(b'P')));
        assert!(close(value(&d, "product_code_1"), f64::from(b'N')));
    }

    #[test]
    fn decodes_0x359_charge_overcurrent_is_byte1_bit0() {
        let d = db()
            .decode(&frame(0x359, &[0x00, 0x01, 0x00, 0x00, 0x01, 0x50, 0x4E]))
            .unwrap();
        assert!(close(value(&d, "protection_charge_overcurrent"), 1.0));
        assert!(close(value(&d, "protection_discharge_overcurrent"), 0.0));
        let d = db()
            .decode(&frame(0x359, &[0x80, 0x00, 0x00, 0x00, 0x01, 0x50, 0x4E]))
            .unwrap();
        assert!(close(value(&d, "protection_discharge_overcurrent"), 1.0));
        assert!(close(value(&d, "protection_charge_overcurrent"), 0.0));
    }

    #[test]
    fn decodes_0x35c_enables() {
        let d = db().decode(&frame(0x35C, &[0xC0, 0x00])).unwrap();
        assert!(close(value(&d, "charge_enable"), 1.0));
        assert!(close(value(&d, "discharge_enable"), 1.0));
        let d = db().decode(&frame(0x35C, &[0x40, 0x00])).unwrap();
        assert!(close(value(&d, "charge_enable"), 0.0));
        assert!(close(value(&d, "discharge_enable"), 1.0));
    }

    #[test]
    fn encodes_the_worked_16s_100ah_example() {
        let db = db();
        let f = db
            .encode(
                CanId::Standard(0x351),
                &[
                    ("charge_voltage_limit", 56.0),
                    ("charge_current_limit", 50.0),
                    ("discharge_current_limit", 100.0),
                    ("discharge_voltage_limit", 48.0),
                ],
            )
            .unwrap();
        assert_eq!(f.data(), &[0x30, 0x02, 0xF4, 0x01, 0xE8, 0x03, 0xE0, 0x01]);
        let f = db
            .encode(
                CanId::Standard(0x356),
                &[
                    ("pack_voltage", 52.0),
                    ("pack_current", -25.0),
                    ("pack_temperature", 25.0),
                ],
            )
            .unwrap();
        assert_eq!(f.data(), &[0x50, 0x14, 0x06, 0xFF, 0xFA, 0x00]);
        let f = db
            .encode(CanId::Standard(0x355), &[("soc", 80.0), ("soh", 100.0)])
            .unwrap();
        assert_eq!(f.data(), &[0x50, 0x00, 0x64, 0x00]);
    }

    #[test]
    fn short_dlc_decodes_what_fits_and_names_the_rest() {
        // Battery-Emulator's Pylon LV sends 0x351 with DLC 6 (protocols.md 1.2).
        let d = db()
            .decode(&frame(0x351, &[0x14, 0x02, 0xC0, 0x12, 0xC0, 0x12]))
            .unwrap();
        assert!(close(value(&d, "discharge_current_limit"), 480.0));
        assert_eq!(d.missing, vec!["discharge_voltage_limit".to_string()]);
    }

    #[test]
    fn unknown_ids_and_garbage_are_errors_not_panics() {
        let db = db();
        assert!(matches!(
            db.decode(&frame(0x123, &[1, 2, 3])),
            Err(DbcError::UnknownMessage(CanId::Standard(0x123)))
        ));
        let empty = db.decode(&frame(0x356, &[])).unwrap();
        assert!(empty.signals.is_empty());
        assert_eq!(empty.missing.len(), 3);
        assert!(CanDatabase::parse("BO_ garbage").is_err());
    }

    #[test]
    fn flags_are_one_bit_signals_without_unit() {
        let signals = db().signals();
        let flag = signals.iter().find(|s| s.name == "charge_enable").unwrap();
        assert_eq!(flag.kind, SignalKind::Flag);
        let ccl = signals
            .iter()
            .find(|s| s.name == "charge_current_limit")
            .unwrap();
        assert_eq!((ccl.kind, ccl.unit.as_str()), (SignalKind::Number, "A"));
    }

    /// Issue 13: whatever arrives on the bus, or whatever a DBC file holds, decoding
    /// refuses or decodes; it never panics, and what it decodes is a number.
    mod garbage {
        use proptest::collection::vec;
        use proptest::prelude::*;

        use super::*;

        /// The shipped DBC with `junk` spliced in at `at` (a char boundary at or before it).
        fn damaged(at: usize, cut: usize, junk: &str) -> String {
            let text = PYLON_LV_DBC;
            let start = (0..=at.min(text.len()))
                .rev()
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(0);
            let end = (start + cut..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            format!("{}{junk}{}", &text[..start], &text[end..])
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_frame_is_decoded_or_refused(
                id in 0u16..0x800,
                bytes in vec(any::<u8>(), 0..=8),
            ) {
                let db = db();
                let frame = frame(id, &bytes);
                match db.decode(&frame) {
                    Ok(decoded) => {
                        prop_assert!(db.knows(frame.id()));
                        for s in &decoded.signals {
                            prop_assert!(s.value.is_finite(), "{} = {}", s.name, s.value);
                        }
                    }
                    Err(e) => {
                        prop_assert!(!db.knows(frame.id()), "{e}");
                    }
                }
            }

            #[test]
            fn a_full_frame_of_a_known_id_decodes_every_signal(
                pick in 0usize..64,
                bytes in proptest::array::uniform8(any::<u8>()),
            ) {
                let db = db();
                let signals = db.signals();
                let info = &signals[pick % signals.len()];
                let frame = CanFrame::new(info.message_id, &bytes).unwrap();
                let decoded = db.decode(&frame).unwrap();
                prop_assert!(decoded.missing.is_empty(), "{:?}", decoded.missing);
                prop_assert!(decoded.signals.iter().any(|s| s.name == info.name));
            }

            #[test]
            fn a_damaged_database_parses_or_is_refused(
                at in 0usize..4000,
                cut in 0usize..64,
                junk in "[ -~\n]{0,24}",
            ) {
                let text = damaged(at, cut, &junk);
                if let Ok(db) = CanDatabase::parse(&text) {
                    for info in db.signals() {
                        if let Ok(frame) = CanFrame::new(info.message_id, &[0xFF; 8]) {
                            let _ = db.decode(&frame);
                        }
                    }
                }
            }
        }
    }
}
