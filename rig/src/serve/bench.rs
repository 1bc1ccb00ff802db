//! `rig sim serve --bench FILE`: a lab serves the virtual bench it wants. The file is an
//! ordinary virtual bench file (docs/bench-file.md): its instruments say which families
//! are served (each `sim:` endpoint it names, `sim:can0` the socketcand server), `twin:`
//! the DIP switches and firmware, `dut: { packs }` the packs in parallel, `defects:` and
//! `faults:` what is injected, and the source's `ratings:` the twin's source. A file with
//! any problem is refused whole, before a port is bound.
//!
//! The bench file printed back is the lab's own text with each `sim:` resource replaced
//! by the address serving it and the virtual-only sections (`twin:`, `defects:`,
//! `faults:`) taken out, so the rig in real mode loads it unchanged.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use rig_drivers::transport::Endpoint;

use crate::bench::Bench;
use crate::diag::{Problem, Problems};

/// What a bench file asks the served twin to be.
#[derive(Clone, Debug)]
pub struct ServeRequest {
    /// The bench file's text, to print back with the served addresses.
    pub text: String,
    /// The `sim:` endpoints the bench's instruments use (`can0` for the CAN bus).
    pub endpoints: BTreeSet<String>,
    pub packs: Option<u8>,
    pub dip: Option<rig_sim::DipSettings>,
    pub defects: Vec<String>,
    pub faults: Vec<rig_sim::InstrumentFault>,
    pub firmware: Option<std::path::PathBuf>,
    pub source: rig_sim::SourceRating,
}

impl ServeRequest {
    /// The request of a checked bench; a bench with real instruments is refused, at the
    /// line of the first one's resource.
    pub fn of(bench: &Bench) -> Result<ServeRequest, Problems> {
        let text = bench.file.text.to_string();
        if let Some(real) = bench
            .instruments
            .values()
            .find(|i| !matches!(i.resource, Endpoint::Sim { .. }))
        {
            let written = resource_span(&text, &real.name);
            let shown = written
                .as_ref()
                .map_or(real.resource.to_string(), |(_, value)| value.clone());
            let message = format!(
                "`{}` is reached at {shown}: `rig sim serve --bench` serves a virtual bench",
                real.name
            );
            let problem = match written {
                Some((span, _)) => Problem::at(&bench.file, span, message),
                None => Problem::in_file(&bench.file, message),
            };
            return Err(problem
                .help("give every instrument a `sim:` resource (testplans/benches/sim.yaml)")
                .into());
        }
        let endpoints = bench
            .instruments
            .values()
            .filter_map(|i| match &i.resource {
                Endpoint::Sim { endpoint } => Some(endpoint.clone()),
                _ => None,
            })
            .collect();
        let default = rig_sim::SourceRating::default();
        let source = match bench.source_ratings() {
            Some((_, v, a)) => rig_sim::SourceRating {
                max_voltage_v: v.unwrap_or(default.max_voltage_v),
                max_current_a: a.unwrap_or(default.max_current_a),
            },
            None => default,
        };
        Ok(ServeRequest {
            text,
            endpoints,
            packs: bench.packs,
            dip: bench.twin_dip,
            defects: bench.defects.clone(),
            faults: bench.faults.clone(),
            firmware: bench.twin_firmware.clone(),
            source,
        })
    }

    /// Whether the bench uses `endpoint`.
    pub fn serves(&self, endpoint: &str) -> bool {
        self.endpoints.contains(endpoint)
    }

    /// The bench file that reaches the served twin: the lab's text with each `sim:`
    /// resource replaced by its served address and the virtual-only sections removed.
    pub fn served_text(&self, served: &super::Served) -> String {
        let mut out = String::new();
        let mut skipping = false;
        for line in self.text.lines() {
            let top_level = !line.starts_with([' ', '\t', '#']) && !line.trim().is_empty();
            if top_level {
                skipping = VIRTUAL_ONLY.iter().any(|key| {
                    line.strip_prefix(key)
                        .is_some_and(|rest| rest.trim_start().starts_with(':'))
                });
            }
            if skipping {
                continue;
            }
            out.push_str(&replace_sim_resources(line, served));
            out.push('\n');
        }
        out
    }
}

/// Top-level sections a real bench refuses: the served twin has taken them in.
const VIRTUAL_ONLY: &[&str] = &["twin", "defects", "faults"];

/// `line` with each `sim:NAME` replaced by where NAME is served.
fn replace_sim_resources(line: &str, served: &super::Served) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("sim:") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 4..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        match served_resource(name, served) {
            Some(resource) => out.push_str(&resource),
            None => out.push_str(&rest[at..at + 4 + len]),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// The resource that reaches `endpoint` where it is served.
fn served_resource(endpoint: &str, served: &super::Served) -> Option<String> {
    if endpoint == "can0" {
        return served
            .socketcand
            .map(|at: SocketAddr| format!("socketcand://{}:{}/can0", at.ip(), at.port()));
    }
    served.addr(endpoint).map(super::socket_resource)
}

/// The `resource:` value of instrument `name` in `text` and where it is: the first
/// `resource:` line after the line `name:` (the instrument's key).
fn resource_span(text: &str, name: &str) -> Option<(crate::diag::Span, String)> {
    let key = format!("{name}:");
    let mut offset = 0;
    let mut in_instrument = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed == key {
            in_instrument = true;
        } else if in_instrument && let Some(value) = trimmed.strip_prefix("resource:") {
            let value = value.trim();
            let at = line.find(value).unwrap_or(0);
            return Some((
                crate::diag::Span::new(offset + at, value.len()),
                value.into(),
            ));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    const LAB: &str = "name: lab-twin
instruments:
  source:
    driver: scpi-source
    resource: sim:source
    ratings: { max_voltage: 58 V, max_current: 80 A }
  bms:
    driver: bms-can
    resource: sim:can0
  rs485:
    driver: pylontech-rs485
    resource: sim:rs485
    address: 3
dut: { packs: 2 }
twin:
  dip: { protocol: id1, address: 3 }
defects:
  - cocp_no_lockout
";

    fn bench(text: &str) -> Result<Bench, Problems> {
        Bench::parse(SourceFile::new("lab.yaml", text))
    }

    #[test]
    fn a_virtual_bench_says_what_is_served_and_how_the_twin_is_built() {
        let request = ServeRequest::of(&bench(LAB).unwrap()).unwrap();
        let endpoints: Vec<&str> = request.endpoints.iter().map(String::as_str).collect();
        assert_eq!(endpoints, ["can0", "rs485", "source"]);
        assert_eq!(request.packs, Some(2));
        assert_eq!(request.dip.map(|d| d.rs485_address), Some(3));
        assert_eq!(request.defects, ["cocp_no_lockout"]);
        assert_eq!(request.source.max_voltage_v, 58.0);
        assert_eq!(request.source.max_current_a, 80.0);
    }

    #[test]
    fn a_bench_with_a_real_instrument_is_refused_at_its_resource() {
        let text = LAB.replace("resource: sim:rs485", "resource: /dev/ttyUSB2?baud=9600");
        let text = text.split("twin:").next().unwrap().to_string();
        let err = ServeRequest::of(&bench(&text).unwrap()).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("lab.yaml:12:15:"), "{shown}");
        assert!(shown.contains("serves a virtual bench"), "{shown}");
    }

    #[test]
    fn the_printed_bench_reaches_the_served_twin_and_loads_as_a_real_bench() {
        let request = ServeRequest::of(&bench(LAB).unwrap()).unwrap();
        let at = |port| SocketAddr::from(([127, 0, 0, 1], port));
        let served = super::super::Served {
            byte_endpoints: vec![("source", at(7001)), ("rs485", at(7002))],
            socketcand: Some(at(7003)),
            can_interface: None,
        };
        let text = request.served_text(&served);
        assert!(
            text.contains("resource: TCPIP::127.0.0.1::7001::SOCKET\n"),
            "{text}"
        );
        assert!(
            text.contains("resource: TCPIP::127.0.0.1::7002::SOCKET\n"),
            "{text}"
        );
        assert!(
            text.contains("resource: socketcand://127.0.0.1:7003/can0\n"),
            "{text}"
        );
        assert!(
            !text.contains("twin:") && !text.contains("cocp_no_lockout"),
            "{text}"
        );
        let real = bench(&text).unwrap_or_else(|p| panic!("{p}\n{text}"));
        assert!(!real.is_virtual());
        assert_eq!(real.packs, Some(2));
        assert_eq!(real.instruments["rs485"].address, 3);
    }
}
