//! `rig sim serve --can` and the SocketCAN bench fixture, on any machine. Running the
//! twin on a real interface needs a kernel with CAN: the CI guest does that
//! (.ci/socketcan-guest, .ci/socketcan-guest-checks).

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the rig binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The guest runs this plan on this bench; here it must at least stay valid.
#[test]
fn the_socketcan_bench_fixture_is_valid_for_the_guest_plan() {
    let o = rig(&[
        "validate",
        "--bench",
        "tests/fixtures/socketcan/bench.yaml",
        "tests/fixtures/loopback/charge_and_rsd.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let bench =
        std::fs::read_to_string(repo().join("tests/fixtures/socketcan/bench.yaml")).unwrap();
    assert!(bench.contains("resource: socketcan:vcan0\n"));
}

#[test]
fn serve_refuses_a_can_resource_that_is_not_socketcan() {
    let o = rig(&["sim", "serve", "--can", "can0"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--can `can0`: expected socketcan:IFACE"),
        "{}",
        stderr(&o)
    );
}

/// Before anything is served: here because this kernel has no CAN, on a kernel with
/// CAN because the interface does not exist. Either way the interface is named.
#[test]
fn serve_fails_at_once_on_an_interface_it_cannot_open() {
    let o = rig(&["sim", "serve", "--can", "socketcan:rigcan-none4"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("error: --can: SocketCAN interface `rigcan-none4`: "),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty(), "nothing served, no bench file printed");
}
