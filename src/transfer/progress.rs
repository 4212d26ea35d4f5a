//! An import's progress: a bar with items, rate and ETA on a terminal (`indicatif`), or a
//! plain line every few seconds when standard error is a file or a pipe (CI, `docker
//! logs`), so logs stay readable.

use std::{
    io::IsTerminal,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often a plain progress line is written.
const LINE_EVERY: Duration = Duration::from_secs(5);

pub struct Progress {
    bar: Option<ProgressBar>,
    done: u64,
    total: Option<u64>,
    started: Instant,
    last_line: Instant,
    what: &'static str,
}

impl Progress {
    /// Progress over `total` items (if known) called `what` ("lines", "links").
    pub fn new(total: Option<u64>, what: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::new_spinner(),
            };
            bar.set_draw_target(ProgressDrawTarget::stderr());
            let template = if total.is_some() {
                "{bar:40} {pos}/{len} {msg} ({per_sec}, {eta} left)"
            } else {
                "{spinner} {pos} {msg} ({per_sec})"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.set_message(what);
            bar
        });
        let now = Instant::now();
        Self {
            bar,
            done: 0,
            total,
            started: now,
            last_line: now,
            what,
        }
    }

    pub fn advance(&mut self, items: u64) {
        self.done += items;
        if let Some(bar) = &self.bar {
            bar.inc(items);
            return;
        }
        if self.last_line.elapsed() >= LINE_EVERY {
            self.last_line = Instant::now();
            let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
            match self.total {
                Some(total) => {
                    eprintln!("import: {}/{total} {} ({rate:.0}/s)", self.done, self.what)
                }
                None => eprintln!("import: {} {} ({rate:.0}/s)", self.done, self.what),
            }
        }
    }

    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
