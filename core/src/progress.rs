//! Progress of long jobs: a bar on a terminal, plain lines otherwise (logs, CI).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    label: &'static str,
    total: u64,
    bar: Option<ProgressBar>,
    started: Instant,
    /// Last tenth of the work reported as a plain line.
    last_tenth: AtomicU64,
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg:>10} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(label);
            bar
        });
        Progress {
            label,
            total,
            bar,
            started: Instant::now(),
            last_tenth: AtomicU64::new(0),
        }
    }

    /// A progress that reports nothing (tests, small internal jobs).
    pub fn hidden(label: &'static str) -> Self {
        Progress {
            label,
            total: 0,
            bar: Some(ProgressBar::hidden()),
            started: Instant::now(),
            last_tenth: AtomicU64::new(0),
        }
    }

    pub fn set(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        if self.total == 0 {
            return;
        }
        let tenth = done.saturating_mul(10) / self.total;
        if tenth > self.last_tenth.swap(tenth, Ordering::Relaxed) {
            tracing::info!(
                job = self.label,
                done,
                total = self.total,
                elapsed_s = self.started.elapsed().as_secs(),
                "progress {}%",
                tenth * 10
            );
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        tracing::info!(
            job = self.label,
            total = self.total,
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "done"
        );
    }
}

/// Progress of an import, whose length is not known in advance: a spinner with counts on a
/// terminal, a log line every 100,000 rows otherwise.
pub struct Spinner {
    bar: Option<ProgressBar>,
    last_logged: AtomicU64,
}

impl Spinner {
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Spinner {
            bar,
            last_logged: AtomicU64::new(0),
        }
    }

    /// Shows where a job is: on a terminal as the spinner's message, in logs as a line
    /// every 100,000 units of `n` and at the end (`last`).
    pub fn show(&self, message: &str, n: u64, last: bool) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        } else if n / 100_000 > self.last_logged.load(Ordering::Relaxed) / 100_000 || last {
            self.last_logged.store(n, Ordering::Relaxed);
            tracing::info!("{message}");
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Default for Spinner {
    fn default() -> Self {
        Self::new()
    }
}
