use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = fangxin_api::cli::Cli::parse();
    match fangxin_api::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
