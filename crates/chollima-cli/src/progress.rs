//! Progress on stderr: a spinner per stage on a terminal, nothing when piped or `--quiet`.

use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use chollima_engine::Observer;

/// Shows each engine stage as a spinner that turns into a timed line when done.
pub struct Spinner {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Spinner {
    pub fn new(quiet: bool) -> Self {
        let enabled = !quiet
            && ProgressDrawTarget::stderr()
                .is_hidden()
                .then_some(())
                .is_none();
        Spinner {
            bar: Mutex::new(None),
            enabled,
        }
    }
}

impl Spinner {
    /// Replaces the current stage's message (a long solve's progress).
    pub fn set_message(&self, message: String) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").as_ref() {
            bar.set_message(message);
        }
    }
}

impl Observer for Spinner {
    fn stage(&self, name: &str) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
        );
        bar.set_message(name.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        *self.bar.lock().expect("not poisoned") = Some(bar);
    }

    fn finished(&self, name: &str, seconds: f64) {
        if let Some(bar) = self.bar.lock().expect("not poisoned").take() {
            bar.finish_and_clear();
            eprintln!("  {name:<12} {seconds:>8.3} s");
        }
    }
}
