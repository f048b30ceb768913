//! The `leadsim` binary: parse flags, load fixtures, serve until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use std::io::IsTerminal;

use leadsim::Fixtures;
use leadsim::config::{Command, Config, LogFormat};
use leadsim::server::{self, Limits, Stopped};
use leadsim::{AppState, app};
use tracing_subscriber::EnvFilter;

/// leadsim allocates a little per request (journal entries, JSON); mimalloc
/// made the pixel route about 15% faster under load than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for bad fixtures or a listener that cannot start.
const EXIT_CONFIG: u8 = 2;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::from_process();
    if config.command == Some(Command::Health) {
        return match leadsim::health::probe(&config.listen, std::time::Duration::from_secs(2)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("leadsim: unhealthy: {why}");
                ExitCode::FAILURE
            }
        };
    }
    init_logs(config.log_format);

    let fixtures = match Fixtures::load(config.fixtures.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("leadsim: bad fixtures: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let shutdown = match shutdown_signal() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("leadsim: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Clients and deliveries to slow receivers each hold a descriptor: a
    // soft limit of 1,024 would stop accepts long before the machine must.
    let descriptors = leadsim::raise_descriptor_limit();
    tracing::debug!("open-descriptor limit: {descriptors:?}");
    let listener = match tokio::net::TcpListener::bind(config.listen.as_str()).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("leadsim: cannot listen on {}: {e}", config.listen);
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // An address a browser can open: `0.0.0.0` and `[::]` are not one.
    let address = match listener.local_addr() {
        Ok(a) if a.ip().is_unspecified() => format!("localhost:{} (all interfaces)", a.port()),
        Ok(a) => a.to_string(),
        Err(_) => config.listen.clone(),
    };
    let state = AppState::new(&config, fixtures);
    let clock = match config.now {
        Some(_) => format!("frozen at {}", leadsim::format_seconds(state.clock.now())),
        None => "real time".to_owned(),
    };
    tracing::info!(
        "leadsim {} listening on http://{address} (seed {}, clock {clock}; fixtures: {})",
        env!("CARGO_PKG_VERSION"),
        config.seed,
        state.fixtures_summary()
    );

    let limits = Limits::from_config(&config);
    match server::serve(listener, app(state), limits, shutdown).await {
        Stopped::Drained => tracing::info!("leadsim stopped"),
        Stopped::GraceExpired => tracing::warn!(
            "leadsim stopped after the {}s shutdown grace; open connections were closed",
            config.shutdown_grace
        ),
    }
    ExitCode::SUCCESS
}

/// Logs go to stderr, filtered by `RUST_LOG` (default `leadsim=info`), as
/// text or JSON lines; colour only on a terminal and never with `NO_COLOR`.
fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("leadsim=info"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(colour).init(),
        LogFormat::Json => logs.json().init(),
    }
}

/// Resolves on Ctrl-C or SIGTERM (what `docker stop` sends).
///
/// The handlers are installed here, synchronously, before the listener
/// accepts anything: a lazily polled `signal()` would leave a window in which
/// a SIGTERM arriving right after the first request kills the process
/// without a graceful stop.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}
