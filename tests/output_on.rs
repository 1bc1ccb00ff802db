//! Issue 13's invariant, checked on the event log of every run the suite makes: the
//! source's output goes on (`OUTP ON`) only after this run has sent the voltage and both
//! current limits, each acknowledged (the error queue empty after it). Whatever the plan,
//! the defect or the fault, a run never energises the pack over set points it did not
//! program.

use libtest_mimic::{Failed, Trial};
use rig_reports::EventKind;

/// The set points, by the command that sends each (the twin speaks the generic dialect).
const SET_POINTS: [(&str, &str); 3] = [
    ("voltage", "SOUR:VOLT "),
    ("current limit", "SOUR:CURR:LIM:POS "),
    ("sink limit", "SOUR:CURR:LIM:NEG "),
];

fn switches_on(text: &str) -> bool {
    matches!(
        text.trim(),
        "OUTP ON" | "OUTP 1" | "OUTPUT ON" | "OUTP:STAT ON"
    )
}

/// The first `OUTP ON` sent to `source` before every set point was sent and
/// acknowledged, described; `None` if there is none.
pub fn violation(events: &[EventKind], source: &str) -> Option<String> {
    let mut acknowledged = [false; 3];
    // The set point last sent, and whether its `SYST:ERR?` was asked.
    let mut pending: Option<(usize, bool)> = None;
    for (i, e) in events.iter().enumerate() {
        match e {
            EventKind::Sent {
                instrument,
                text: Some(text),
                ..
            } if instrument == source => {
                if switches_on(text) {
                    let missing: Vec<&str> = SET_POINTS
                        .iter()
                        .zip(acknowledged)
                        .filter(|(_, ok)| !ok)
                        .map(|((name, _), _)| *name)
                        .collect();
                    if !missing.is_empty() {
                        return Some(format!(
                            "event {i}: `{text}` before {} acknowledged",
                            missing.join(", ")
                        ));
                    }
                }
                let set = SET_POINTS
                    .iter()
                    .position(|(_, prefix)| text.starts_with(prefix));
                pending = match (set, pending) {
                    (Some(k), _) => Some((k, false)),
                    (None, Some((k, false))) if text.trim() == "SYST:ERR?" => Some((k, true)),
                    _ => None,
                };
            }
            EventKind::Received {
                instrument,
                text: Some(text),
                ..
            } if instrument == source => {
                if let Some((k, true)) = pending {
                    acknowledged[k] = text.trim_start().starts_with("0,") || acknowledged[k];
                }
                pending = None;
            }
            _ => {}
        }
    }
    None
}

/// The check catches what it is for: an output switched on first, or after a set point
/// the source refused.
pub fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "output_on::the_check_catches_an_early_output",
        || {
            let sent = |t: &str| EventKind::Sent {
                instrument: "source".into(),
                text: Some(t.into()),
                hex: None,
            };
            let got = |t: &str| EventKind::Received {
                instrument: "source".into(),
                text: Some(t.into()),
                hex: None,
            };
            let ok = || got("0,\"No error\"");
            let programmed = |refused: bool| {
                let mut v = Vec::new();
                for (_, prefix) in SET_POINTS {
                    v.push(sent(&format!("{prefix}1.000")));
                    v.push(sent("SYST:ERR?"));
                    v.push(if refused {
                        got("-222,\"Data out of range\"")
                    } else {
                        ok()
                    });
                }
                v.push(sent("OUTP ON"));
                v
            };
            let checks = [
                (vec![sent("OUTP ON")], true),
                (programmed(false), false),
                (programmed(true), true),
                (programmed(false)[3..].to_vec(), true),
            ];
            for (events, caught) in checks {
                if violation(&events, "source").is_some() != caught {
                    return Err(Failed::from(format!(
                        "expected caught = {caught} for {events:?}"
                    )));
                }
            }
            Ok(())
        },
    )]
}
