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

/// The twin `rig sim serve` builds, from its options and `--bench`.
struct Twin {
    pack: rig_sim::PackParams,
    defects: Vec<rig_sim::Defect>,
    packs: u8,
    /// What `--bench` asks for; `None`: the built-in bench, every family served.
    request: Option<crate::serve::bench::ServeRequest>,
}

/// `rig sim serve`.
pub fn serve(args: super::ServeArgs) -> i32 {
    let twin = match twin(&args) {
        Ok(t) => t,
        Err(code) => return code,
    };
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
    runtime.block_on(serve_twin(args, twin))
}

/// The twin from `--bench`, `--dut`, `--packs` and `--defect`, checked before anything
/// is bound; `Err` is the exit code, the problems printed.
fn twin(args: &super::ServeArgs) -> Result<Twin, i32> {
    let request = match &args.bench {
        None => None,
        Some(path) => match crate::bench::Bench::load(path)
            .and_then(|b| crate::serve::bench::ServeRequest::of(&b))
        {
            Ok(r) => Some(r),
            Err(problems) => {
                super::load::print_problems(&problems);
                return Err(exit::INVALID_INPUT);
            }
        },
    };
    let declared = request.as_ref().and_then(|r| r.packs);
    if let (Some(given), Some(declared)) = (args.packs, declared)
        && given != declared
    {
        errln!(
            "error: --packs {given}, but the bench file declares `dut: {{ packs: {declared} }}`"
        );
        return Err(exit::INVALID_INPUT);
    }
    let packs = args.packs.or(declared).unwrap_or(1);
    let firmware = request.as_ref().and_then(|r| r.firmware.as_deref());
    let pack = twin_pack(args, firmware, packs)?;
    let names = request
        .iter()
        .flat_map(|r| r.defects.iter())
        .chain(&args.defects);
    let mut defects = Vec::new();
    for d in names {
        match d.parse::<rig_sim::Defect>() {
            Ok(x) if !defects.contains(&x) => defects.push(x),
            Ok(_) => {}
            Err(e) => {
                errln!("error: {e}");
                return Err(exit::INVALID_INPUT);
            }
        }
    }
    Ok(Twin {
        pack,
        defects,
        packs,
        request,
    })
}

/// The pack to serve, from `--dut` or the built-in twin (running the bench's
/// `twin: { firmware }` if it names one), with the pack count checked against the
/// profile; `Err` is the exit code.
fn twin_pack(
    args: &super::ServeArgs,
    firmware: Option<&std::path::Path>,
    packs: u8,
) -> Result<rig_sim::PackParams, i32> {
    // The built-in twin is the Lesso LSRR51V100AH: §3.3.2 "Max parallel number 32pcs".
    let (pack, max_packs) = match (&args.dut, firmware) {
        (None, None) => (rig_sim::PackParams::lesso_lsrr51v100ah(), Some(32.0)),
        (None, Some(fw)) => {
            errln!(
                "error: the bench's `twin: {{ firmware: {} }}` is written for a DUT profile: give it with --dut",
                fw.display()
            );
            return Err(exit::INVALID_INPUT);
        }
        (Some(path), named) => match crate::dut::DutProfile::load(path).and_then(|d| {
            let max = d.number(crate::plan::MAX_PACKS_PATH);
            let default = crate::firmware::Firmware::default_path(&d).filter(|p| p.is_file());
            let fw = named.map(std::path::Path::to_path_buf).or(default);
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
    if packs > 1 && max_packs.is_none_or(|max| f64::from(packs) > max) {
        errln!(
            "error: --packs {packs}: the profile allows {} in parallel (`{}`)",
            max_packs.map_or("no more than one".to_string(), |m| format!("at most {m}")),
            crate::plan::MAX_PACKS_PATH
        );
        return Err(exit::INVALID_INPUT);
    }
    Ok(pack)
}

/// The addresses to bind: every byte endpoint, or those the bench file uses; the
/// socketcand server unless the bench file has no CAN link.
fn addresses(
    args: &super::ServeArgs,
    request: Option<&crate::serve::bench::ServeRequest>,
) -> (
    Vec<(&'static str, std::net::SocketAddr)>,
    Option<std::net::SocketAddr>,
) {
    let at = |port| std::net::SocketAddr::new(args.bind, port);
    let all = [
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
    let wanted = |endpoint: &str| request.is_none_or(|r| r.serves(endpoint));
    let bytes = all.into_iter().filter(|(e, _)| wanted(e)).collect();
    let can = wanted("can0").then(|| at(args.can_port));
    (bytes, can)
}

/// The bench file that reaches the served twin, with its pack count and clock.
fn printed_bench(served: &crate::serve::Served, twin: &Twin, speed: f64) -> String {
    let mut bench = match &twin.request {
        Some(request) => request.served_text(served),
        None => served.bench_file(),
    };
    // Real mode has no per-plan twin: the served pack count is the bench's.
    let declared = twin.request.as_ref().and_then(|r| r.packs).is_some();
    if twin.packs > 1 && !declared {
        bench.push_str(&format!(
            "\n# The served twin: {} packs in parallel.\ndut: {{ packs: {} }}\n",
            twin.packs, twin.packs
        ));
    }
    if speed != 1.0 {
        // A rig in real mode follows the sped-up twin when its bench says so.
        bench.push_str(&format!(
            "\n# The served twin runs {speed} times faster than the wall clock.\nclock: {{ scale: {speed} }}\n"
        ));
    }
    bench
}

/// Serve the twin until Ctrl-C, after printing (and writing) the bench file that
/// reaches it.
async fn serve_twin(args: super::ServeArgs, twin: Twin) -> i32 {
    let request = twin.request.as_ref();
    let sim = std::sync::Arc::new(rig_sim::SimBench::start(rig_sim::SimConfig {
        pack: twin.pack.clone(),
        defects: twin.defects.clone(),
        faults: request.map(|r| r.faults.clone()).unwrap_or_default(),
        installation: rig_sim::Installation {
            dip: request.and_then(|r| r.dip).unwrap_or_default(),
            packs: twin.packs,
        },
        source: request.map(|r| r.source).unwrap_or_default(),
    }));
    let (addresses, socketcand) = addresses(&args, request);
    let can = match crate::serve::CanServing::open(socketcand, args.can.as_deref()) {
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
    let bench = printed_bench(&served, &twin, args.speed);
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
