//! `cargo bench --bench scale`: how demarc's cost grows with the repository.
//!
//! For each corpus size it generates a deterministic repository (see
//! `corpus.rs`), then measures each stage — walk, parse, the whole scan
//! (parse, evaluate, rules, attribution) and report — with wall time,
//! files/s, MB/s and peak heap, on 1 and 2 threads. Heap is counted by a
//! wrapper around the binary's allocator (mimalloc), so "peak" is the high-water mark of live heap
//! bytes during that stage alone. Each size ends with the speedup line:
//! scan and reports on 1 and on 2 threads, the cores each kept busy (CPU
//! time over wall time), and the ratio.
//!
//! Arguments (after `--`): `--sizes 1000,10000,50000` (default `1000,10000`),
//! `--seed N`, `--keep DIR` (write the corpora there and keep them), and
//! `--generate DIR --files N` (only write a corpus, for comparisons).
//! `--shape buckets` measures one Terraform module instead, of `--sizes`
//! resources (buckets and their logging resources, linked by reference and
//! by name): `--shape buckets --sizes 5000,10000,20000` shows whether
//! relations between resources stay linear.

#[path = "corpus.rs"]
mod corpus;

use demarc::attribution::Attribution;
use demarc::discover::{self, UnitSource, WalkOptions};
use demarc::report::{render, Format, RenderOptions};
use demarc::rules::RuleSet;
use demarc::scan::{scan, ScanOptions};
use mimalloc::MiMalloc;
use rayon::prelude::*;
use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

struct CountingAllocator;

/// Live heap bytes, as far as threads have reported them.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// This thread's allocations not yet added to `LIVE`.
    static PENDING: Cell<isize> = const { Cell::new(0) };
}

/// Each thread reports to `LIVE` once its unreported bytes reach this much
/// either way. A shared counter updated on every allocation made the
/// threads queue for it (allocation is a quarter of demarc's time) and
/// hid what a second thread gains; the peak is off by at most this much a
/// thread.
const REPORT_BYTES: isize = 64 * 1024;

fn account(bytes: isize) {
    let report = |bytes: isize| {
        let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if live > PEAK.load(Ordering::Relaxed) {
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
    };
    // A thread being torn down has no PENDING left: report directly.
    let reported = PENDING.try_with(|pending| {
        let total = pending.get() + bytes;
        if total.abs() >= REPORT_BYTES {
            pending.set(0);
            report(total);
        } else {
            pending.set(total);
        }
    });
    if reported.is_err() {
        report(bytes);
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { MiMalloc.alloc(layout) };
        if !ptr.is_null() {
            account(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { MiMalloc.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// One stage's cost.
struct Measure {
    wall: Duration,
    /// CPU time (user and system, all threads) of the run kept.
    cpu: Duration,
    /// Peak live heap during the stage, above what was live when it started.
    peak_bytes: usize,
}

/// Runs `work` [`RUNS`] times and keeps the fastest wall time (the machine's
/// noise only ever adds time) and the highest peak.
fn measure<T>(mut work: impl FnMut() -> T) -> (T, Measure) {
    let mut best: Option<(T, Measure)> = None;
    for _ in 0..RUNS {
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let (start, cpu_start) = (Instant::now(), cpu_time());
        let value = work();
        let (wall, cpu) = (start.elapsed(), cpu_time().saturating_sub(cpu_start));
        let peak_bytes = PEAK.load(Ordering::Relaxed).saturating_sub(base).max(0) as usize;
        best = Some(match best {
            Some((v, m)) if m.wall <= wall => (
                v,
                Measure {
                    peak_bytes: m.peak_bytes.max(peak_bytes),
                    ..m
                },
            ),
            Some((_, m)) => (
                value,
                Measure {
                    wall,
                    cpu,
                    peak_bytes: m.peak_bytes.max(peak_bytes),
                },
            ),
            None => (
                value,
                Measure {
                    wall,
                    cpu,
                    peak_bytes,
                },
            ),
        });
    }
    best.expect("at least one run")
}

/// CPU time the process has used so far, user and system, on all threads.
#[cfg(unix)]
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(not(unix))]
fn cpu_time() -> Duration {
    Duration::ZERO
}

/// Repetitions per measurement.
const RUNS: usize = 3;

struct Args {
    sizes: Vec<usize>,
    seed: u64,
    keep: Option<PathBuf>,
    generate: Option<(PathBuf, usize)>,
    /// `--shape buckets`: sizes count the resources of one module (see
    /// `corpus::generate_bucket_module`) instead of the files of a repository.
    buckets: bool,
}

fn parse_args() -> Args {
    let mut args = Args {
        sizes: vec![1000, 10_000],
        seed: 42,
        keep: None,
        generate: None,
        buckets: false,
    };
    let mut files = 1000;
    let mut generate_dir = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--sizes" => {
                args.sizes = it
                    .next()
                    .unwrap()
                    .split(',')
                    .map(|s| s.parse().unwrap())
                    .collect()
            }
            "--seed" => args.seed = it.next().unwrap().parse().unwrap(),
            "--keep" => args.keep = Some(PathBuf::from(it.next().unwrap())),
            "--generate" => generate_dir = Some(PathBuf::from(it.next().unwrap())),
            "--files" => files = it.next().unwrap().parse().unwrap(),
            "--shape" => match it.next().as_deref() {
                Some("buckets") => args.buckets = true,
                Some("repository") => args.buckets = false,
                other => panic!("unknown --shape {other:?}; expected repository or buckets"),
            },
            // `cargo bench` passes `--bench`; libtest-style filters are ignored.
            _ => {}
        }
    }
    args.generate = generate_dir.map(|d| (d, files));
    args
}

fn main() {
    let args = parse_args();
    if let Some((dir, files)) = &args.generate {
        let manifest = if args.buckets {
            corpus::generate_bucket_module(dir, *files, args.seed)
        } else {
            corpus::generate(dir, *files, args.seed)
        };
        println!(
            "wrote {} files ({:.1} MB) to {}",
            manifest.files,
            mb(manifest.bytes),
            dir.display()
        );
        return;
    }
    let rules = RuleSet::embedded().expect("rules");
    let attribution = Attribution::embedded().expect("catalog");
    println!(
        "demarc {} · {} cores · seed {}",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        args.seed
    );
    println!(
        "{:>7} {:>7} {:>8} {:<7} {:>9} {:>10} {:>8} {:>10}",
        "files", "MB", "threads", "stage", "wall ms", "files/s", "MB/s", "peak MiB"
    );
    let shape = if args.buckets { "buckets" } else { "corpus" };
    for &size in &args.sizes {
        let scratch = match &args.keep {
            Some(dir) => dir.join(format!("{shape}-{size}")),
            None => std::env::temp_dir().join(format!(
                "demarc-bench-{}-{shape}-{size}",
                std::process::id()
            )),
        };
        if !scratch.join("manifest.json").exists() {
            let _ = std::fs::remove_dir_all(&scratch);
            if args.buckets {
                corpus::generate_bucket_module(&scratch, size, args.seed);
            } else {
                corpus::generate(&scratch, size, args.seed);
            }
        }
        let bytes = corpus_bytes(&scratch);
        let [one, two] = [1, 2].map(|threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| run_sizes(&scratch, size, bytes, threads, &rules, &attribution))
        });
        // The issue-15 figure: what a second thread gains on the whole job
        // (scan and reports), and how many cores each run kept busy (CPU
        // time over wall time; on a busy machine, under the thread count).
        let cores = |m: &Measure| m.cpu.as_secs_f64() / m.wall.as_secs_f64().max(1e-9);
        println!(
            "{size:>7} {:>7.1} {:>8} {:<7} 1 thread {:.0} ms ({:.2} cores) · 2 threads {:.0} ms ({:.2} cores) · {:.2}x",
            mb(bytes),
            "1→2",
            "speedup",
            one.wall.as_secs_f64() * 1000.0,
            cores(&one),
            two.wall.as_secs_f64() * 1000.0,
            cores(&two),
            one.wall.as_secs_f64() / two.wall.as_secs_f64().max(1e-9),
        );
        if args.keep.is_none() {
            let _ = std::fs::remove_dir_all(&scratch);
        }
    }
}

fn run_sizes(
    root: &Path,
    files: usize,
    bytes: usize,
    threads: usize,
    rules: &RuleSet,
    attribution: &Attribution,
) -> Measure {
    let row = |stage: &str, wall: Duration, peak_bytes: Option<usize>| {
        let secs = wall.as_secs_f64().max(1e-9);
        let peak = peak_bytes.map_or("-".to_string(), |b| {
            format!("{:.1}", b as f64 / (1024.0 * 1024.0))
        });
        println!(
            "{files:>7} {:>7.1} {threads:>8} {stage:<7} {:>9.1} {:>10.0} {:>8.1} {peak:>10}",
            mb(bytes),
            secs * 1000.0,
            files as f64 / secs,
            mb(bytes) / secs,
        );
    };
    let paths = vec![root.to_path_buf()];
    let (discovery, walk) = measure(|| discover::discover(&paths, WalkOptions::default()));
    row("walk", walk.wall, Some(walk.peak_bytes));
    let (_, parse) = measure(|| parse_all(&discovery.units));
    row("parse", parse.wall, Some(parse.peak_bytes));
    let options = ScanOptions {
        paths: paths.clone(),
        threads: Some(threads),
        ..ScanOptions::default()
    };
    let (result, whole) = measure(|| scan(&options, rules, attribution));
    row("scan", whole.wall, Some(whole.peak_bytes));
    // Inside the scan (its own accounting; see `StageTimes`): its walk, the
    // Terraform read-and-parse phase, evaluation and rules (sharing the
    // units' wall time by their CPU time), and the finishing work.
    let stages = result.stage_times;
    row(" walk", stages.walk, None);
    row(" parse", stages.parse, None);
    row(" eval", stages.evaluate, None);
    row(" rules", stages.rules, None);
    row(" finish", stages.finish, None);
    let (_, report) = measure(|| {
        let opts = RenderOptions::default();
        let json = render(Format::Json, &result, &opts);
        let sarif = render(Format::Sarif, &result, &opts);
        json.len() + sarif.len()
    });
    row("report", report.wall, Some(report.peak_bytes));
    println!(
        "{:>7} {:>7} {threads:>8} {:<7} findings {} · errors {} · undecided {} · scan/parse {:.2}x · {}",
        "",
        "",
        "result",
        result.findings.len(),
        result.errors.len(),
        result.undecided,
        whole.wall.as_secs_f64() / parse.wall.as_secs_f64().max(1e-9),
        manifest_check(root, &result.findings)
    );
    Measure {
        wall: whole.wall + report.wall,
        cpu: whole.cpu + report.cpu,
        peak_bytes: whole.peak_bytes.max(report.peak_bytes),
    }
}

/// Whether the findings of the rules the generator injects for are exactly
/// the misconfigurations it injected: the scan did the whole job, not a fast
/// part of it. Rules it does not inject for also fire on the corpus (its
/// buckets have no versioning, its Lambdas no VPC); they are counted apart.
fn manifest_check(root: &Path, findings: &[demarc::finding::Finding]) -> String {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("manifest.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    let injected: std::collections::BTreeMap<String, u64> = manifest["injected"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let mut found: std::collections::BTreeMap<String, u64> = Default::default();
    let mut other = 0;
    for f in findings {
        if injected.contains_key(&f.rule.id) {
            *found.entry(f.rule.id.clone()).or_default() += 1;
        } else {
            other += 1;
        }
    }
    if found == injected {
        format!("injected findings match the manifest (+{other} of rules it does not inject for)")
    } else {
        format!("findings differ from the manifest: found {found:?}, injected {injected:?}")
    }
}

/// Reads and parses every file of every unit, evaluating nothing: the floor
/// any scan pays.
fn parse_all(units: &[UnitSource]) -> usize {
    use demarc::parse::{hcl::parse_hcl, json::parse_json, yaml::parse_yaml};
    units
        .par_iter()
        .map(|unit| {
            let files: Vec<&PathBuf> = match unit {
                UnitSource::TerraformModule { files, .. } => files.iter().collect(),
                UnitSource::TemplateCandidate(path) => vec![path],
            };
            files
                .into_iter()
                .filter_map(|path| {
                    let text = std::fs::read_to_string(path).ok()?;
                    let name = path.to_string_lossy();
                    let parsed = if name.ends_with(".tf") {
                        parse_hcl(&text, 0).is_ok()
                    } else if name.ends_with(".json") {
                        parse_json(&text, 0, 0).is_ok()
                    } else {
                        parse_yaml(&text, 0).is_ok()
                    };
                    parsed.then_some(())
                })
                .count()
        })
        .sum()
}

fn corpus_bytes(root: &Path) -> usize {
    let manifest = std::fs::read_to_string(root.join("manifest.json")).unwrap_or_default();
    manifest
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("\"bytes\": ")?
                .trim_end_matches(',')
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}
