//! `rig sim`: the catalogue of the twin's defects, and the virtual bench served on real
//! sockets.

use super::out::{errln, outln};
use crate::exit;

pub fn defects() -> i32 {
    outln!("{:<26} MANUAL BEHAVIOUR IT BREAKS", "DEFECT");
    for d in rig_sim::Defect::ALL {
        outln!("{:<26} {}", d.to_string(), d.breaks());
        outln!("{:<26} {}", "", d.description());
        // A parametric defect moves one number of the twin's firmware: say which.
        if let rig_sim::DefectKind::Parametric { field } = d.kind() {
            outln!("{:<26} parametric: moves {field}", "");
        }
    }
    exit::PASSED
}

/// `rig sim serve`.
pub fn serve(args: super::ServeArgs) -> i32 {
    let pack = match twin_pack(&args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut defects = Vec::new();
    for d in &args.defects {
        match d.parse::<rig_sim::Defect>() {
            Ok(x) => defects.push(x),
            Err(e) => {
                errln!("error: {e}");
                return exit::INVALID_INPUT;
            }
        }
    }
    if let Err(e) = rig_sim::set_speed(args.speed) {
        errln!("error: --speed {}: {e}", args.speed);
        return exit::INVALID_INPUT;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            errln!("error: cannot start the runtime: {e}");
            return exit::RIG_ERROR;
        }
    };
    runtime.block_on(serve_twin(args, pack, defects))
}

/// The pack to serve, from `--dut` or the built-in twin, with `--packs` checked against
/// the profile; `Err` is the exit code.
fn twin_pack(args: &super::ServeArgs) -> Result<rig_sim::PackParams, i32> {
    // The built-in twin is the Lesso LSRR51V100AH: §3.3.2 "Max parallel number 32pcs".
    let (pack, max_packs) = match &args.dut {
        None => (rig_sim::PackParams::lesso_lsrr51v100ah(), Some(32.0)),
        Some(path) => match crate::dut::DutProfile::load(path).and_then(|d| {
            let max = d.number(crate::plan::MAX_PACKS_PATH);
            let fw = crate::firmware::Firmware::default_path(&d).filter(|p| p.is_file());
            let fw = fw
                .map(|p| crate::firmware::Firmware::load(&p, &d))
                .transpose()?;
            crate::runner::pack_params(&d, fw.as_ref()).map(|p| (p, max))
        }) {
            Ok(p) => p,
            Err(problems) => {
                super::load::print_problems(&problems);
                return Err(exit::INVALID_INPUT);
            }
        },
    };
    if args.packs > 1 && max_packs.is_none_or(|max| f64::from(args.packs) > max) {
        errln!(
            "error: --packs {}: the profile allows {} in parallel (`{}`)",
            args.packs,
            max_packs.map_or("no more than one".to_string(), |m| format!("at most {m}")),
            crate::plan::MAX_PACKS_PATH
        );
        return Err(exit::INVALID_INPUT);
    }
    Ok(pack)
}

/// Serve the twin until Ctrl-C, after printing (and writing) the bench file that
/// reaches it.
async fn serve_twin(
    args: super::ServeArgs,
    pack: rig_sim::PackParams,
    defects: Vec<rig_sim::Defect>,
) -> i32 {
    let sim = std::sync::Arc::new(rig_sim::SimBench::start(rig_sim::SimConfig {
        pack,
        defects,
        faults: Vec::new(),
        installation: rig_sim::Installation {
            packs: args.packs,
            ..Default::default()
        },
        source: Default::default(),
    }));
    let at = |port| std::net::SocketAddr::new(args.bind, port);
    let addresses = [
        ("source", at(args.source_port)),
        ("io", at(args.io_port)),
        ("chamber", at(args.chamber_port)),
        ("rs485", at(args.rs485_port)),
        ("chamber_f4", at(args.chamber_f4_port)),
        ("chamber_espec", at(args.chamber_espec_port)),
        ("daq970a", at(args.daq970a_port)),
        ("numato", at(args.numato_port)),
        ("load_dl3000", at(args.load_dl3000_port)),
        ("load_bk8600", at(args.load_bk8600_port)),
        ("rs232", at(args.rs232_port)),
    ];
    let can = match crate::serve::CanServing::open(at(args.can_port), args.can.as_deref()) {
        Ok(can) => can,
        Err(e) => {
            errln!("error: {e}");
            return e.exit_code();
        }
    };
    let (served, run) = match crate::serve::serve(sim, &addresses, can).await {
        Ok(s) => s,
        Err(e) => {
            errln!("error: cannot listen: {e}");
            return exit::RIG_ERROR;
        }
    };
    let mut bench = served.bench_file();
    // Real mode has no per-plan twin: the served pack count is the bench's.
    if args.packs > 1 {
        bench.push_str(&format!(
            "\n# The served twin: {} packs in parallel.\ndut: {{ packs: {} }}\n",
            args.packs, args.packs
        ));
    }
    if args.speed != 1.0 {
        // A rig in real mode follows the sped-up twin when its bench says so.
        bench.push_str(&format!(
            "\n# The served twin runs {} times faster than the wall clock.\nclock: {{ scale: {} }}\n",
            args.speed, args.speed
        ));
    }
    if let Some(path) = &args.bench_out
        && let Err(e) = std::fs::write(path, &bench)
    {
        errln!("error: cannot write {}: {e}", path.display());
        return exit::RIG_ERROR;
    }
    let pace = if args.speed == 1.0 {
        "in real time".to_string()
    } else {
        format!("at {} times the wall clock", args.speed)
    };
    outln!("serving the virtual bench {pace}; a bench file that reaches it:\n\n{bench}");
    // SIGINT, SIGTERM, SIGHUP and SIGQUIT all end the server: `crate::stop` listens for them from the
    // start of the process, so the default "die at once" no longer applies.
    tokio::select! {
        () = run => exit::RIG_ERROR,
        _ = crate::stop::wait() => exit::PASSED,
    }
}
