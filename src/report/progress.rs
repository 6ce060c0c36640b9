//! Progress: the bar `build` and `watch` draw on a terminal while images are encoded.

use crate::pipeline::Progress;

/// The progress bar: drawn on stderr while images are encoded, when `show` is true.
pub struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    /// A bar that draws only when `show` (the binary passes "stderr is a terminal and the
    /// output is not JSON or quiet").
    pub fn new(show: bool) -> Self {
        Bar(show.then(|| {
            let b = indicatif::ProgressBar::hidden();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} encoding {pos}/{len} [{bar:30}] {elapsed} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        }))
    }
}

impl Progress for Bar {
    fn begin(&self, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
    fn tick(&self, source: &str) {
        if let Some(b) = &self.0 {
            b.set_message(source.to_string());
            b.inc(1);
        }
    }
    fn end(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
