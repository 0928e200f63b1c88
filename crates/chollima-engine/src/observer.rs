//! Progress reporting without the engine knowing the terminal.

/// Receives the stages of a long job. Front ends draw progress bars or spinners from it.
pub trait Observer: Sync {
    /// A stage starts (`"reading"`, `"solving"`, ...).
    fn stage(&self, name: &str);
    /// The stage that started last is done, after `seconds`.
    fn finished(&self, name: &str, seconds: f64);
}

/// An observer that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {
    fn stage(&self, _: &str) {}
    fn finished(&self, _: &str, _: f64) {}
}

/// Runs `work` as a named stage, timing it into `timings`.
pub(crate) fn timed<T>(
    observer: &dyn Observer,
    timings: &mut Vec<(String, f64)>,
    name: &str,
    work: impl FnOnce() -> T,
) -> T {
    observer.stage(name);
    let start = std::time::Instant::now();
    let value = work();
    let seconds = start.elapsed().as_secs_f64();
    observer.finished(name, seconds);
    timings.push((name.to_owned(), seconds));
    value
}
