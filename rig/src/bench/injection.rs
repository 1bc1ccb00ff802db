//! What a virtual bench injects: firmware defects into the twin (`defects:`) and
//! instrument faults into the simulated instruments (`faults:`).

use std::collections::BTreeMap;

use rig_drivers::transport::Endpoint;
use rig_sim::{Defect, FaultKind, InstrumentFault};
use serde_saphyr::Spanned;

use super::driver::Driver;
use super::file::RawFault;
use super::instrument::InstrumentSpec;
use super::literal::quantity;
use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::quantity::Dim;

fn at(file: &SourceFile, field: &Spanned<String>) -> Span {
    Span::of_scalar(&field.referenced, &file.text)
}

/// The defects by name, each one the twin knows; only on a virtual bench.
pub(super) fn defects(
    file: &SourceFile,
    raw: &[Spanned<String>],
    is_virtual: bool,
    problems: &mut Problems,
) -> Vec<String> {
    let known: Vec<String> = Defect::ALL.iter().map(|d| d.to_string()).collect();
    let mut defects = Vec::new();
    for d in raw {
        let span = at(file, d);
        if !is_virtual {
            problems.push(
                Problem::at(
                    file,
                    span,
                    "defects can only be injected on a virtual bench",
                )
                .help("remove `defects:` or point every resource at `sim:`"),
            );
        } else if d.value.parse::<Defect>().is_err() {
            let close = near_misses(&d.value, known.iter().map(String::as_str));
            problems.push(
                Problem::at(file, span, format!("unknown defect `{}`", d.value)).help(
                    if close.is_empty() {
                        format!("`rig sim defects` lists them: {}", known.join(", "))
                    } else {
                        format!("did you mean {}?", close.join(" or "))
                    },
                ),
            );
        } else {
            defects.push(d.value.clone());
        }
    }
    defects
}

/// The faults, each into a simulated byte instrument that can have it.
pub(super) fn faults(
    file: &SourceFile,
    raw: &[Spanned<RawFault>],
    instruments: &BTreeMap<String, InstrumentSpec>,
    problems: &mut Problems,
) -> Vec<InstrumentFault> {
    let mut faults = Vec::new();
    for f in raw {
        match fault(file, &f.value, instruments) {
            Ok(fault) => faults.push(fault),
            Err(p) => problems.push(p),
        }
    }
    faults
}

fn fault(
    file: &SourceFile,
    f: &RawFault,
    instruments: &BTreeMap<String, InstrumentSpec>,
) -> Result<InstrumentFault, Problem> {
    let Some(inst) = instruments.get(&f.instrument.value) else {
        let known: Vec<&str> = instruments.keys().map(String::as_str).collect();
        return Err(Problem::at(
            file,
            at(file, &f.instrument),
            format!(
                "a fault names `{}`, which is not an instrument of this bench",
                f.instrument.value
            ),
        )
        .help(format!("instruments: {}", known.join(", "))));
    };
    let Endpoint::Sim { endpoint } = &inst.resource else {
        return Err(Problem::at(
            file,
            at(file, &f.instrument),
            "faults can only be injected into simulated instruments",
        )
        .help("remove `faults:` or point the instrument at `sim:`"));
    };
    let kind = f
        .fault
        .value
        .parse::<FaultKind>()
        .map_err(|msg| Problem::at(file, at(file, &f.fault), msg))?;
    if inst.driver == Driver::BmsCan {
        return Err(Problem::at(
            file,
            at(file, &f.instrument),
            "faults apply to byte connections (source, relay board), not to the CAN link",
        )
        .help("to silence the BMS, put it to sleep from the plan"));
    }
    let has_error_queue = matches!(
        inst.driver,
        Driver::ScpiSource | Driver::ScpiLoad | Driver::Daq970a
    );
    if kind == FaultKind::Error && !has_error_queue {
        return Err(Problem::at(
            file,
            at(file, &f.fault),
            "an `error` fault needs an instrument with an error queue (SCPI)",
        ));
    }
    match quantity(file, &f.after, Dim::Time, "`after`")? {
        after_s if after_s >= 0.0 => Ok(InstrumentFault {
            endpoint: endpoint.clone(),
            kind,
            after_s,
        }),
        _ => Err(Problem::at(
            file,
            at(file, &f.after),
            "`after` cannot be negative",
        )),
    }
}
