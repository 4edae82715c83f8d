use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = hatchery::cli::Cli::parse();
    match hatchery::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole chain: "cannot open the database ...: connection refused".
            eprintln!("hatchery: {e:#}");
            ExitCode::FAILURE
        }
    }
}
