//! The live page in a real browser (issue 18): `rig run --ui --pace` on the virtual
//! bench, headless Chromium (Debian's `chromium`, which `.ci/run` installs) loads the
//! page over the DevTools protocol, the test checks that the page shows the plan, its
//! current step and a live value, clicks Abort, and checks that the rig exits 2 with
//! every instrument in its safe state.
//!
//! With `RIG_UI_SCREENSHOTS=DIR` it also writes `DIR/live.png` (the page mid-run) and
//! `DIR/report.png` (the run's HTML report after the abort): `.ci/screenshots`.
//!
//! Without Chromium the test says plainly that it was skipped, and passes; with
//! `RIG_REQUIRE_CHROMIUM=1` (set by `.ci/run`) it fails instead.

mod cdp;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long anything may take to appear; the whole test takes a few seconds.
const PATIENCE: Duration = Duration::from_secs(60);

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_live_page_shows_the_run_and_abort_ends_it_safely() {
    let Some(chromium) = chromium() else {
        let why = "no chromium, chromium-browser or google-chrome on PATH (nor RIG_CHROMIUM)";
        assert!(
            std::env::var_os("RIG_REQUIRE_CHROMIUM").is_none_or(|v| v != "1"),
            "RIG_REQUIRE_CHROMIUM=1 but {why}"
        );
        // Past the test harness's capture, so a plain `cargo test` shows it.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the live-page browser test: {why}; `apt-get install chromium` runs it"
        );
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-browser");
    let _ = std::fs::remove_dir_all(&dir);
    let plan = plan(&dir);
    let (mut rig, url, said) = start_rig(&plan, &dir);
    let browser = start_chromium(&chromium, &dir.join("chromium"));
    let ws = devtools_url(&dir.join("chromium"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shots = std::env::var_os("RIG_UI_SCREENSHOTS").map(PathBuf::from);
    let mut page = runtime
        .block_on(drive(&ws, &url, shots.as_deref()))
        .unwrap_or_else(|e| panic!("{e}\nthe rig said:\n{}", said()));
    let code = wait_exit(&mut rig.0);
    assert_eq!(code, Some(2), "the rig's exit code; it said:\n{}", said());
    check_log(&dir.join("run/watched.events.jsonl"));
    if let Some(shots) = shots {
        let report = format!("file://{}", dir.join("run/report.html").display());
        runtime
            .block_on(async {
                page.open(&report).await?;
                page.loaded().await?;
                page.screenshot(&shots.join("report.png")).await
            })
            .unwrap();
        eprintln!("screenshots: {}", shots.display());
    }
    drop(browser);
}

/// A plan that charges for 90 virtual hours, reading the source's current (a live
/// number) and the BMS's flag: at `--pace 600` it would take 9 minutes; Abort ends it.
fn plan(dir: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::create_dir_all(dir.join("duts")).unwrap();
    std::fs::copy(
        repo.join("testplans/duts/lesso_lsrr51v100ah.yaml"),
        dir.join("duts/lesso_lsrr51v100ah.yaml"),
    )
    .unwrap();
    let plan = dir.join("watched.yaml");
    std::fs::write(
        &plan,
        "id: watched\ntitle: a charge to watch in a browser\ndut: lesso_lsrr51v100ah\ntimeout: 100 h\nsteps:\n  - name: charge slowly\n    source: { charge: { current: 1 A, to: 54 V }, output: on }\n    expect:\n      - name: the pack takes the current\n        that: source.current > 0.5 A\n        within: 10 s\n      - name: no COCP at 1 A\n        that: not bms.protection_charge_overcurrent\n        for: 90 h\n",
    )
    .unwrap();
    plan
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RIG_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// The rig, its page's URL, and what it has said on stderr so far.
fn start_rig(plan: &Path, dir: &Path) -> (Killed, String, impl Fn() -> String) {
    let child = Command::new(env!("CARGO_BIN_EXE_rig"))
        .arg("run")
        .arg(plan)
        .args(["--ui=127.0.0.1:0", "--pace", "600", "--out"])
        .arg(dir.join("run"))
        .env("RIG_LOCK_DIR", dir.join("lab/locks"))
        .env("RIG_RESULTS", dir.join("lab/rig.db"))
        .env_remove("RIG_LAB")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the rig");
    let mut rig = Killed(child);
    let stderr = rig.0.stderr.take().unwrap();
    let all = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, rx) = mpsc::channel();
    let sink = all.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&format!("{line}\n"));
            let _ = tx.send(line);
        }
    });
    let said = move || all.lock().unwrap().clone();
    let url = loop {
        match rx.recv_timeout(PATIENCE) {
            Ok(line) => {
                if let Some(url) = line.strip_prefix("live view: ") {
                    break url.to_string();
                }
            }
            Err(_) => panic!("the rig printed no `live view:` URL; it said:\n{}", said()),
        }
    };
    (rig, url, said)
}

fn start_chromium(chromium: &Path, profile: &Path) -> Killed {
    std::fs::create_dir_all(profile).unwrap();
    let child = Command::new(chromium)
        .args([
            "--headless",
            // The CI runs as root, where Chromium's sandbox refuses to start.
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            "--window-size=1280,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        // Its scratch folders (`org.chromium.Chromium.*`) go into the test's own folder,
        // not the machine's /tmp.
        .env("TMPDIR", profile)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start chromium");
    Killed(child)
}

/// The browser's DevTools websocket, from the `DevToolsActivePort` file Chromium writes
/// into its profile once it listens (port 0: whatever port was free).
fn devtools_url(profile: &Path) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(profile.join("DevToolsActivePort")).unwrap_or_default();
        let mut lines = text.lines();
        if let (Some(port), Some(path)) = (lines.next(), lines.next()) {
            return format!("ws://127.0.0.1:{port}{path}");
        }
        assert!(
            start.elapsed() < PATIENCE,
            "chromium wrote no DevToolsActivePort"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What the test reads off the page: the plan's section's title, step and values.
const READ_PAGE: &str = r#"(() => {
  const p = document.querySelector('[data-plan="watched"]');
  if (!p) return null;
  const text = (s) => { const e = p.querySelector(s); return e ? e.textContent : null; };
  const values = {};
  for (const v of p.querySelectorAll('.value')) values[v.dataset.channel] = v.textContent;
  return { title: text('.title'), step: text('.step-name'), values,
           abort: !document.getElementById('abort').disabled,
           status: document.getElementById('status').textContent };
})()"#;

/// Load the page, check what it shows (and take its picture), press Abort.
async fn drive(ws: &str, url: &str, shots: Option<&Path>) -> Result<cdp::Cdp, String> {
    let mut page = cdp::Cdp::connect(ws).await?;
    page.open(url).await?;
    let start = Instant::now();
    let shown = loop {
        let now = page.eval(READ_PAGE).await?;
        if shows_the_run(&now) {
            break now;
        }
        if start.elapsed() > PATIENCE {
            return Err(format!(
                "the page never showed the plan, its step and a live value; last: {now}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("the page showed: {shown}");
    if let Some(dir) = shots {
        // A moment more, for the plots to have a line.
        tokio::time::sleep(Duration::from_secs(2)).await;
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        page.screenshot(&dir.join("live.png")).await?;
    }
    page.eval("document.getElementById('abort').click()")
        .await?;
    Ok(page)
}

/// The plan's title, its current step, a number for the source's current, and an
/// Abort button that can be pressed.
fn shows_the_run(v: &Value) -> bool {
    let current = v["values"]["source.current"].as_str().unwrap_or("");
    v["title"] == "a charge to watch in a browser"
        && v["step"] == "charge slowly"
        && current.ends_with(" A")
        && current.chars().next().is_some_and(|c| c.is_ascii_digit())
        && v["abort"] == true
}

fn wait_exit(rig: &mut Child) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = rig.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the rig did not end after Abort"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The log ends with a verdict that names the Abort button, and the source (the one
/// instrument of this plan that holds energy) reached its safe state.
fn check_log(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap();
    let last = text.lines().last().unwrap_or("");
    assert!(
        last.contains("\"event\":\"run_finished\""),
        "no verdict at the end: {last}"
    );
    assert!(last.contains("\"verdict\":\"error\""), "{last}");
    assert!(
        last.contains("Abort button"),
        "the verdict does not name the Abort: {last}"
    );
    let safe = text.lines().any(|l| {
        l.contains("\"event\":\"safe_state\",\"instrument\":\"source\"")
            && l.contains("\"ok\":true")
    });
    assert!(safe, "the source was never made safe:\n{text}");
}
