//! A progress bar on stderr, only when stderr is a terminal (never in logs or pipes).

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Draws `what [#####-----] n/total` at most every 100 ms; silent off a terminal.
pub struct Progress {
    what: &'static str,
    total: usize,
    on: bool,
    drawn: Option<Instant>,
}

impl Progress {
    /// A bar for `total` steps of `what`.
    pub fn new(what: &'static str, total: usize) -> Progress {
        Progress {
            what,
            total,
            on: std::io::stderr().is_terminal(),
            drawn: None,
        }
    }

    /// Shows that `done` steps are done.
    pub fn set(&mut self, done: usize) {
        if !self.on
            || self
                .drawn
                .is_some_and(|t| t.elapsed() < Duration::from_millis(100) && done < self.total)
        {
            return;
        }
        self.drawn = Some(Instant::now());
        let width = 30;
        let filled = (done * width).checked_div(self.total).unwrap_or(width);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {done}/{}",
            self.what,
            "#".repeat(filled),
            "-".repeat(width - filled),
            self.total
        );
        let _ = err.flush();
    }

    /// Ends the bar's line.
    pub fn finish(&mut self) {
        if self.on && self.drawn.is_some() {
            self.set(self.total);
            eprintln!();
        }
    }
}
