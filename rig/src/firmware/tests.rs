use super::*;
use crate::runner::pack_params;

fn profile() -> DutProfile {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testplans/duts/lesso_lsrr51v100ah.yaml");
    DutProfile::load(&path).unwrap()
}

fn parse(values: &str) -> Result<Firmware, Problems> {
    let text = format!("dut: lesso_lsrr51v100ah\nversion: v\nvalues:\n{values}");
    Firmware::parse(SourceFile::new("firmware/x.yaml", text), &profile())
}

/// Every shipped firmware loads against its profile, keeps each value inside the
/// profile's band (or at the manual figure where there is none), is not all nominal,
/// and the twin can run it.
#[test]
fn the_shipped_firmwares_are_inside_their_profiles_bands() {
    let duts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testplans/duts");
    let mut seen = 0;
    for entry in std::fs::read_dir(&duts).unwrap() {
        let dut = DutProfile::load(&entry.unwrap().path()).unwrap();
        let path = Firmware::default_path(&dut).unwrap();
        let fw = Firmware::load(&path, &dut).unwrap();
        let mut off_nominal = 0;
        for (p, v) in fw.values() {
            let pv = dut.get(p).unwrap();
            let (lo, hi) = pv.band.map_or_else(
                || (dut.number(p).unwrap(), dut.number(p).unwrap()),
                |(lo, hi)| (lo.value, hi.value),
            );
            assert!((lo..=hi).contains(&v.value), "{} {p}", dut.id);
            off_nominal += usize::from(v.value != dut.number(p).unwrap());
        }
        assert!(off_nominal >= 3, "{}: {off_nominal}", dut.id);
        let params = pack_params(&dut, Some(&fw)).unwrap();
        assert_eq!(
            params.cocp.trip_current_a,
            fw.number("cocp.trip_current").unwrap()
        );
        seen += 1;
    }
    assert_eq!(seen, 5);
}

#[test]
fn an_unknown_key_is_located_with_a_near_miss() {
    let err = parse("  cocp:\n    trip_curent: { value: 76 A, why: w }\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("firmware/x.yaml:5:27"), "{err}");
    assert!(err.contains("has no such value"), "{err}");
    assert!(err.contains("did you mean `cocp.trip_current`?"), "{err}");
}

#[test]
fn a_wrong_unit_a_physical_value_or_no_reason_is_refused() {
    let err = parse("  cocp:\n    trip_current: { value: 76 V, why: w }\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`76 V` is not of the profile value's kind (`75 A`)"),
        "{err}"
    );
    assert!(err.starts_with("firmware/x.yaml:5:28"), "{err}");
    let err = parse("  capacity: { value: 90 Ah, why: w }\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("describes the pack, not its firmware"),
        "{err}"
    );
    let err = parse("  cocp:\n    trip_current: { value: 76 A }\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not say why"), "{err}");
    let err = Firmware::parse(
        SourceFile::new(
            "firmware/x.yaml",
            "dut: other\nversion: v\nvalues:\n  cocp:\n    trip_current: { value: 76 A, why: w }\n",
        ),
        &profile(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("this firmware is for `other`"), "{err}");
}

/// A value the twin cannot model is named at its own line, with the twin's rule.
#[test]
fn a_value_outside_the_twins_range_rules_is_located() {
    let fw = parse("  cocp:\n    trip_current: { value: 76 A, why: w }\n    trip_delay: { value: -1 s, why: w }\n").unwrap();
    let err = pack_params(&profile(), Some(&fw)).unwrap_err().to_string();
    assert!(err.starts_with("firmware/x.yaml:6:"), "{err}");
    assert!(
        err.contains("`cocp.trip_delay`: the twin cannot run this value"),
        "{err}"
    );
}

/// Without a firmware the twin runs the profile's nominal values; with one, its values.
#[test]
fn the_firmware_value_wins_over_the_nominal() {
    let dut = profile();
    assert_eq!(pack_params(&dut, None).unwrap().cocp.trip_current_a, 75.0);
    let fw = parse("  cocp:\n    trip_current: { value: 78 A, why: w }\n").unwrap();
    let p = pack_params(&dut, Some(&fw)).unwrap();
    assert_eq!(p.cocp.trip_current_a, 78.0);
    assert_eq!(p.docp.trip_current_a, 100.0);
}
