//! The `maestroc` binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

// The front end and the emitters allocate millions of small strings and maps; mimalloc
// measured 1.38× faster than glibc's malloc on `check` of 1,000 services (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(maestroc::cli::main())
}
