//! How the pack is installed on the bench: `dut: { packs: 3 }` (packs wired in
//! parallel, the master included) and, on a virtual bench, `twin: { dip: ... }` (the
//! DIP switches the twin is built with).
//!
//! A bench that declares `dut: packs` runs only plans that need that many packs and
//! skips the others. A real bench that declares nothing has one pack; a virtual bench
//! that declares nothing builds each plan's twin with the packs the plan needs.

use std::collections::BTreeMap;

use rig_sim::{Baud, DipSettings, ProtocolId};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::driver::Driver;
use super::file::RawInstrument;
use super::instrument::InstrumentSpec;
use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::plan::Count;

/// `dut:` as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDut {
    /// Packs wired in parallel, the master included (`3`).
    #[schemars(with = "Option<Count>")]
    packs: Option<Spanned<Count>>,
}

/// `twin:` as written (virtual benches only).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTwin {
    /// The master's DIP switches.
    #[schemars(with = "Option<RawDip>")]
    dip: Option<Spanned<RawDip>>,
    /// The firmware description the twin runs instead of the DUT profile's default
    /// (`testplans/firmware/<dut-id>.yaml`), relative to the bench file.
    #[schemars(with = "Option<crate::schema::Scalar>")]
    firmware: Option<Spanned<String>>,
}

/// The DIP settings by what they select (Lesso 3.3.3.3, LOSUN 2.4).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDip {
    /// RS485 baud rate: `9600` (Lesso DIP 1 OFF, the default) or `115200` (DIP 1 ON).
    #[schemars(with = "Option<Count>")]
    baud: Option<Spanned<Count>>,
    /// Protocol ID: `id0` (default), `id1`, `id2` or `reserved` (Lesso DIP 6-7).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    protocol: Option<Spanned<String>>,
    /// The master's RS485 address (LOSUN DIP #1-#4; a Lesso master is 2). Slaves answer
    /// at the following addresses.
    #[schemars(with = "Option<Count>")]
    address: Option<Spanned<Count>>,
}

/// The checked `dut:` and `twin:` sections.
#[derive(Clone, Debug, Default)]
pub(super) struct Installation {
    pub packs: Option<u8>,
    pub dip: Option<DipSettings>,
    /// Where the twin's address was written, for a mismatch with the RS485 link.
    pub dip_address_at: Option<Span>,
    /// `twin: { firmware }`, resolved against the bench file's folder.
    pub firmware: Option<std::path::PathBuf>,
}

const PROTOCOLS: &[(&str, ProtocolId)] = &[
    ("id0", ProtocolId::Id0),
    ("id1", ProtocolId::Id1),
    ("id2", ProtocolId::Id2),
    ("reserved", ProtocolId::Reserved),
];

fn at<T>(field: &Spanned<T>) -> Span {
    let span = field.referenced.span();
    Span::new(
        span.byte_offset().unwrap_or(0) as usize,
        span.byte_len().unwrap_or(1).max(1) as usize,
    )
}

pub(super) fn parse(
    file: &SourceFile,
    dut: Option<&RawDut>,
    twin: Option<&Spanned<RawTwin>>,
    is_virtual: bool,
) -> Result<Installation, Problems> {
    let mut problems = Problems::default();
    let mut out = Installation::default();
    if let Some(p) = dut.and_then(|d| d.packs.as_ref()) {
        match u8::try_from(p.value.0) {
            Ok(n) if n >= 1 => out.packs = Some(n),
            _ => problems.push(
                Problem::at(
                    file,
                    at(p),
                    format!("`packs: {}` is not a number of packs", p.value.0),
                )
                .help("packs wired in parallel, the master included: 1 to 255"),
            ),
        }
    }
    if let Some(twin) = twin {
        if !is_virtual {
            problems.push(
                Problem::at(
                    file,
                    at(twin),
                    "`twin:` sets up the virtual bench's pack; this bench has real instruments",
                )
                .help(
                    "set the real pack's DIP switches by hand, or point every resource at `sim:`",
                ),
            );
        } else {
            if let Some(dip) = &twin.value.dip {
                match self::dip(file, &dip.value) {
                    Ok((settings, address_at)) => {
                        out.dip = Some(settings);
                        out.dip_address_at = address_at;
                    }
                    Err(p) => problems.extend(p),
                }
            }
            if let Some(fw) = &twin.value.firmware {
                let dir = file.path.parent().unwrap_or(std::path::Path::new("."));
                let path = dir.join(&fw.value);
                if path.is_file() {
                    out.firmware = Some(path);
                } else {
                    problems.push(
                        Problem::at(
                            file,
                            at(fw),
                            format!("no firmware description at {}", path.display()),
                        )
                        .help("name a file relative to the bench file, e.g. `../firmware/lesso_lsrr51v100ah.yaml`"),
                    );
                }
            }
        }
    }
    problems.into_result(out)
}

fn dip(file: &SourceFile, raw: &RawDip) -> Result<(DipSettings, Option<Span>), Problems> {
    let mut problems = Problems::default();
    let mut dip = DipSettings::default();
    if let Some(b) = &raw.baud {
        match b.value.0 {
            9600 => dip.rs485_baud = Baud::B9600,
            115_200 => dip.rs485_baud = Baud::B115200,
            other => problems.push(
                Problem::at(
                    file,
                    at(b),
                    format!("the pack's RS485 cannot run at {other} Bd"),
                )
                .help("9600 (Lesso 3.3.3.3 DIP 1 OFF) or 115200 (DIP 1 ON)"),
            ),
        }
    }
    if let Some(p) = &raw.protocol {
        match PROTOCOLS.iter().find(|(n, _)| *n == p.value) {
            Some((_, id)) => dip.protocol = *id,
            None => {
                let names = PROTOCOLS.iter().map(|(n, _)| *n);
                let close = near_misses(&p.value, names.clone());
                problems.push(
                    Problem::at(
                        file,
                        Span::of_scalar(&p.referenced, &file.text),
                        format!("unknown protocol ID `{}`", p.value),
                    )
                    .help(if close.is_empty() {
                        format!(
                            "Lesso 3.3.3.3 DIP 6-7: {}",
                            names.collect::<Vec<_>>().join(", ")
                        )
                    } else {
                        format!("did you mean `{}`?", close[0])
                    }),
                );
            }
        }
    }
    let mut address_at = None;
    if let Some(a) = &raw.address {
        match u8::try_from(a.value.0) {
            Ok(n) if n != 0 && n != 255 => {
                dip.rs485_address = n;
                address_at = Some(at(a));
            }
            _ => problems.push(
                Problem::at(
                    file,
                    at(a),
                    format!("`address: {}` is not an RS485 address", a.value.0),
                )
                .help("1 to 254 (protocols.md 2.2: 0 and 255 are reserved)"),
            ),
        }
    }
    problems.into_result((dip, address_at))
}

/// On a virtual bench the RS485 link must poll the address the twin's DIP switches set
/// (2 by default, Lesso 3.2 automatic addressing), or every poll would go unanswered.
pub(super) fn twin_answers_the_link(
    file: &SourceFile,
    raw: &BTreeMap<String, Spanned<RawInstrument>>,
    instruments: &BTreeMap<String, InstrumentSpec>,
    installation: &Installation,
) -> Problems {
    let mut problems = Problems::default();
    let twin = installation
        .dip
        .map_or(rig_sim::MASTER_ADDRESS, |d| d.rs485_address);
    for link in instruments
        .values()
        .filter(|i| i.driver == Driver::PylontechRs485)
    {
        if link.address == twin {
            continue;
        }
        let written = raw
            .get(&link.name)
            .and_then(|i| i.value.address.as_ref())
            .map(|a| Span::of_scalar(&a.referenced, &file.text));
        let message = format!(
            "`{}` polls RS485 address {}, but the twin answers at {twin}",
            link.name, link.address
        );
        let help = if installation.dip_address_at.is_some() {
            "make `address:` of the link and `twin: dip: address:` agree"
        } else {
            "the twin's address is 2 unless `twin: { dip: { address: N } }` sets it"
        };
        problems.push(
            match written.or(installation.dip_address_at) {
                Some(span) => Problem::at(file, span, message),
                None => Problem::in_file(file, message),
            }
            .help(help),
        );
    }
    problems
}

#[cfg(test)]
mod tests {
    use rig_sim::{Baud, ProtocolId};

    use crate::bench::tests::{assert_refusals, parse};

    const SIM: &str = "name: twin
instruments:
  rs485:
    driver: pylontech-rs485
    resource: sim:rs485
    address: 2
dut: { packs: 3 }
twin:
  dip: { baud: 115200, protocol: id1, address: 2 }
";

    const REAL: &str = "name: lab
instruments:
  rs485:
    driver: pylontech-rs485
    resource: /dev/ttyUSB2?baud=9600
    address: 2
";

    #[test]
    fn a_bench_declares_its_packs_and_the_twin_its_switches() {
        let bench = parse(SIM).unwrap();
        assert_eq!(bench.packs, Some(3));
        let dip = bench.twin_dip.unwrap();
        assert_eq!(dip.rs485_baud, Baud::B115200);
        assert_eq!(dip.protocol, ProtocolId::Id1);
        assert_eq!(dip.rs485_address, 2);
        // Nothing declared: the bench says nothing about packs, the twin keeps its
        // factory switches.
        let plain = parse(REAL).unwrap();
        assert_eq!((plain.packs, plain.twin_dip), (None, None));
        let real = parse(&format!("{REAL}dut:\n  packs: 2\n")).unwrap();
        assert_eq!(real.packs, Some(2));
    }

    /// `twin: { firmware }` names a file relative to the bench file; a missing one is
    /// refused where it is written.
    #[test]
    fn a_virtual_bench_may_name_the_twins_firmware() {
        let benches = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testplans/benches");
        let text = |fw: &str| format!("{SIM}  firmware: {fw}\n");
        let load = |fw: &str| {
            crate::bench::Bench::parse(crate::diag::SourceFile::new(
                benches.join("named.yaml"),
                text(fw),
            ))
        };
        let bench = load("../firmware/lesso_lsrr51v100ah.yaml").unwrap();
        let named = bench.twin_firmware.unwrap();
        assert!(
            named.ends_with("firmware/lesso_lsrr51v100ah.yaml"),
            "{named:?}"
        );
        assert!(named.is_file());
        let err = load("../firmware/nothing.yaml").unwrap_err().to_string();
        assert!(err.contains("named.yaml:10:13"), "{err}");
        assert!(err.contains("no firmware description at"), "{err}");
        assert_eq!(parse(SIM).unwrap().twin_firmware, None);
    }

    /// Each mistake is refused at its line and column, saying what is allowed.
    #[test]
    fn installation_mistakes_name_the_line() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "dut: { packs: 3 }",
                "dut: { packs: 0 }",
                "bench.yaml:7:15: `packs: 0` is not a number of packs",
            ),
            (
                "dut: { packs: 3 }",
                "dut: { packs: lots }",
                "bench.yaml:7:8: invalid type: string \"lots\", expected a whole number",
            ),
            (
                "dut: { packs: 3 }",
                "dut: { pack: 3 }",
                "bench.yaml:7:8: unknown field `pack`, expected one of packs",
            ),
            (
                "baud: 115200",
                "baud: 19200",
                "bench.yaml:9:16: the pack's RS485 cannot run at 19200 Bd (hint: 9600 (Lesso 3.3.3.3 DIP 1 OFF) or 115200 (DIP 1 ON))",
            ),
            (
                "protocol: id1",
                "protocol: reservd",
                "bench.yaml:9:34: unknown protocol ID `reservd` (hint: did you mean `reserved`?)",
            ),
            (
                "address: 2 }",
                "address: 256 }",
                "bench.yaml:9:48: `address: 256` is not an RS485 address",
            ),
            (
                "address: 2 }",
                "adress: 2 }",
                "bench.yaml:9:39: unknown field `adress`, expected one of baud, protocol, address",
            ),
            // The twin at 3 while the link polls 2: every poll would go unanswered.
            (
                "address: 2 }",
                "address: 3 }",
                "bench.yaml:6:14: `rs485` polls RS485 address 2, but the twin answers at 3",
            ),
        ];
        assert_refusals(SIM, cases);
    }

    #[test]
    fn a_real_bench_has_no_twin() {
        let err = parse(&format!("{REAL}twin:\n  dip: {{ baud: 9600 }}\n")).unwrap_err();
        assert!(
            err.contains("bench.yaml:8:3: `twin:` sets up the virtual bench's pack; this bench has real instruments"),
            "{err}"
        );
    }

    #[test]
    fn the_link_must_poll_the_twins_default_address() {
        let err = parse(&SIM.replace("    address: 2\n", "    address: 5\n")).unwrap_err();
        assert!(
            err.contains(
                "bench.yaml:6:14: `rs485` polls RS485 address 5, but the twin answers at 2"
            ),
            "{err}"
        );
    }
}
