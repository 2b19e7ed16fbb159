//! Progress bars on stderr for long snapshot work, drawn only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use strata_snapshots::Progress;

/// What a bar counts.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Unit {
    /// File content.
    Bytes,
    /// Stored objects.
    Objects,
}

/// An `indicatif` bar behind the snapshots crate's [`Progress`] trait. When
/// stderr is not a terminal the bar draws nothing, so scripts and logs see
/// only the command's own output; on a terminal it appears once the total is
/// known (an empty bar would read as "done").
#[derive(Debug)]
pub(crate) struct Bar {
    pb: ProgressBar,
    terminal: bool,
    shown: AtomicBool,
}

impl Bar {
    /// A bar titled `what`, counting in `unit`.
    pub(crate) fn new(what: &str, unit: Unit) -> Bar {
        let pb = ProgressBar::hidden();
        let counts = match unit {
            Unit::Bytes => "{binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec})",
            Unit::Objects => "{human_pos}/{human_len} objects",
        };
        let template = format!("{{msg:>10}} [{{bar:30}}] {counts} {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            pb.set_style(style.progress_chars("=> "));
        }
        pb.set_message(what.to_owned());
        Bar {
            pb,
            terminal: std::io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        }
    }

    /// Removes the bar from the terminal (the work is done or failed).
    pub(crate) fn finish(&self) {
        self.pb.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.pb.finish_and_clear();
    }
}

impl Progress for Bar {
    fn set_total(&self, total: u64) {
        self.pb.set_length(total);
        if self.terminal && !self.shown.swap(true, Ordering::Relaxed) {
            self.pb.set_draw_target(ProgressDrawTarget::stderr());
            // Redraw while the library is busy between reports (rate and ETA stay live).
            self.pb.enable_steady_tick(Duration::from_millis(200));
        }
    }

    fn advance(&self, done: u64) {
        self.pb.inc(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_reach_the_bar_and_it_hides_off_a_terminal() {
        let bar = Bar::new("saving", Unit::Bytes);
        bar.set_total(10);
        bar.advance(3);
        bar.advance(4);
        assert_eq!(bar.pb.length(), Some(10));
        assert_eq!(bar.pb.position(), 7);
        if !std::io::stderr().is_terminal() {
            assert!(bar.pb.is_hidden());
        }
        bar.finish();
    }
}
