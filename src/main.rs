// mimalloc: a scan allocates many small values on every thread at once, and
// the system allocator's arenas made a quarter of the cycles allocation and
// kept two threads from doubling the speed.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    demarc::cli::main()
}
