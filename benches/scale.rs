//! `cargo bench --bench scale`: how demarc's cost grows with the repository.
//!
//! For each corpus size it generates a deterministic repository (see
//! `corpus.rs`), then measures each stage — walk, parse, the whole scan
//! (parse, evaluate, rules, attribution) and report — with wall time,
//! files/s, MB/s and peak heap, on 1 and 2 threads. Heap is counted by a
//! global allocator wrapper, so "peak" is the high-water mark of live heap
//! bytes during that stage alone.
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
use rayon::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// One stage's cost.
struct Measure {
    wall: Duration,
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
        let start = Instant::now();
        let value = work();
        let wall = start.elapsed();
        let peak_bytes = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        best = Some(match best {
            Some((v, m)) if m.wall <= wall => (
                v,
                Measure {
                    wall: m.wall,
                    peak_bytes: m.peak_bytes.max(peak_bytes),
                },
            ),
            Some((_, m)) => (
                value,
                Measure {
                    wall,
                    peak_bytes: m.peak_bytes.max(peak_bytes),
                },
            ),
            None => (value, Measure { wall, peak_bytes }),
        });
    }
    best.expect("at least one run")
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
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| run_sizes(&scratch, size, bytes, threads, &rules, &attribution));
        }
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
) {
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
