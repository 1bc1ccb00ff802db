//! Two runs on one real bench (the virtual bench's instruments served on loopback by
//! `rig sim serve`, so the bench file is a real one): the second refuses at once,
//! naming the holder, or waits with `--wait-bench`; killing the holder with SIGKILL
//! frees the bench. With PostgreSQL the second "station" (another lock folder) is
//! refused by the lab database's advisory lock.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::common::{Lab, labs, sigkill, soak_plan, text, wait_for};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rig sim serve` on port 0 everywhere; returns it and its bench file.
fn serve(dir: &Path) -> (Server, PathBuf) {
    let bench = dir.join("bench.yaml");
    let mut args = vec!["sim", "serve"];
    for flag in [
        "--source-port",
        "--io-port",
        "--chamber-port",
        "--rs485-port",
        "--chamber-f4-port",
        "--chamber-espec-port",
        "--daq970a-port",
        "--numato-port",
        "--load-dl3000-port",
        "--load-bk8600-port",
        "--rs232-port",
        "--can-port",
    ] {
        args.extend([flag, "0"]);
    }
    args.extend(["--bench-out", bench.to_str().unwrap()]);
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_rig"))
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(&bench, "sim-served", "rig sim serve writing its bench file");
    (server, bench)
}

/// `rig run` of the soak on the served bench, in the background, stderr to a file;
/// `station`: another station's lock folder.
fn start(
    lab: &Lab,
    (plan, bench): (&Path, &Path),
    name: &str,
    extra: &[&str],
    station: Option<&Path>,
) -> (Child, PathBuf) {
    let stderr = lab.path(&format!("{name}.stderr"));
    let out = lab.path(&format!("runs/{name}"));
    let mut args = vec![
        "run",
        plan.to_str().unwrap(),
        "--bench",
        bench.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--results",
        &lab.results,
    ];
    args.extend(extra);
    let mut command = lab.command(&args);
    if let Some(dir) = station {
        command.env("RIG_LOCK_DIR", dir);
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    (child, stderr)
}

#[test]
fn a_second_run_on_a_bench_refuses_or_waits_and_sigkill_frees_the_bench() {
    for lab in labs("a_second_run_on_a_bench_refuses_or_waits_and_sigkill_frees_the_bench") {
        let (_server, bench) = serve(lab.dir.path());
        let plan = soak_plan(&lab.path("plans"));
        let (mut first, _) = start(&lab, (&plan, &bench), "first", &[], None);
        let first_log = lab.path("runs/first/soak.events.jsonl");
        wait_for(
            &first_log,
            "output on",
            "the first run switching the source on",
        );

        let holder = format!("in use by rig pid {}", first.id());
        let second = lab.path("runs/second");
        let o = lab.rig(&[
            "run",
            plan.to_str().unwrap(),
            "--bench",
            bench.to_str().unwrap(),
            "--out",
            second.to_str().unwrap(),
            "--results",
            &lab.results,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}: {}", lab.name, text(&o));
        let said = text(&o);
        assert!(
            said.contains(&format!("bench `sim-served` is {holder}")),
            "{said}"
        );
        assert!(
            said.contains("runs/first") && said.contains("--wait-bench"),
            "{said}"
        );
        assert!(
            !second.join("soak.events.jsonl").exists(),
            "nothing was connected"
        );

        // Another station (its own lock folder) sharing the lab database: there the
        // database's advisory lock refuses, and the waiting run is that station's.
        let other_station = lab.path("station-2-locks");
        let station = (lab.name == "postgres").then_some(other_station.as_path());
        if let Some(dir) = station {
            let (mut other, other_err) = start(&lab, (&plan, &bench), "other", &[], Some(dir));
            let code = other.wait().unwrap().code();
            let said = std::fs::read_to_string(other_err).unwrap();
            assert_eq!(code, Some(2), "{said}");
            assert!(
                said.contains(&holder) && said.contains("lab database"),
                "{said}"
            );
        }
        let (mut third, third_err) =
            start(&lab, (&plan, &bench), "third", &["--wait-bench"], station);
        wait_for(
            &third_err,
            "waiting for it (--wait-bench)",
            "the third run waiting",
        );
        assert!(!lab.path("runs/third/soak.events.jsonl").exists());
        sigkill(&mut first);
        // The kernel (or the database server) dropped the dead holder's lock.
        wait_for(
            &lab.path("runs/third/soak.events.jsonl"),
            "output on",
            "the waiting run taking the freed bench",
        );
        let said = std::fs::read_to_string(&third_err).unwrap();
        assert!(
            said.contains("bench `sim-served` reserved for this run"),
            "{said}"
        );
        sigkill(&mut third);
    }
}
