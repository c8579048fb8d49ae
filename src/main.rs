use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: pages allocate and free many small values (rows, the
/// template data, the rendered page) on several threads, and glibc's arenas spent ~30% of a page's
/// instructions on it (docs/PERFORMANCE.md, item 14).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = geschillenportaal::cli::Cli::parse();
    match geschillenportaal::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
