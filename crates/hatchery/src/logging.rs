//! Logging: a tracing subscriber writing to standard error, human-readable text or one
//! JSON object per line, filtered by `log.level` (or `RUST_LOG` when set).

use std::io::{self, IsTerminal};

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{Writer, debug_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt};

use crate::config::{LogConfig, LogFormat};

/// Installs the global tracing subscriber for `cfg`. The `RUST_LOG` environment variable,
/// when set and not empty, replaces `cfg.level` (a bad `RUST_LOG` is reported and
/// ignored). Calling it again (as tests do) leaves the first subscriber in place.
pub fn init(cfg: &LogConfig) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let (filter, rust_log_error) = filter(&cfg.level, rust_log.as_deref());
    let ansi = io::stderr().is_terminal();
    let installed = tracing_subscriber::registry()
        .with(layer(cfg.format, io::stderr, ansi).with_filter(filter))
        .try_init()
        .is_ok();
    if installed && let Some(error) = rust_log_error {
        tracing::warn!(
            %error,
            level = %cfg.level,
            "RUST_LOG is not a valid log filter; using log.level instead"
        );
    }
}

/// The filter to use: `rust_log` when given and not blank, else `level`. The second value
/// is the error when `rust_log` was given but does not parse. A `level` that does not parse
/// (validation normally prevents it) falls back to `info`.
fn filter(level: &str, rust_log: Option<&str>) -> (EnvFilter, Option<String>) {
    // PostgreSQL reports "relation already exists, skipping" as a NOTICE at every start;
    // that is not news for an operator.
    let quiet = "sqlx::postgres::notice=warn";
    let from_level = || {
        EnvFilter::builder()
            .parse(format!("{level},{quiet}"))
            .unwrap_or_else(|_| EnvFilter::new(format!("info,{quiet}")))
    };
    match rust_log.map(str::trim).filter(|s| !s.is_empty()) {
        None => (from_level(), None),
        Some(directives) => match EnvFilter::builder().parse(directives) {
            Ok(filter) => (filter, None),
            Err(err) => (from_level(), Some(err.to_string())),
        },
    }
}

/// The formatting layer for `format`, writing to `writer`.
fn layer<W>(format: LogFormat, writer: W, ansi: bool) -> Box<dyn Layer<Registry> + Send + Sync>
where
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => fmt::layer()
            .fmt_fields(debug_fn(write_escaped_field).delimited(" "))
            .with_writer(writer)
            .with_ansi(ansi)
            .with_target(true)
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
    }
}

/// Writes one field of a text log line with every control character escaped. Values come
/// from requests (login names, paths, headers); a raw line break in one would let a client
/// write a forged line of its own into the log. (JSON escapes them already.)
fn write_escaped_field(
    w: &mut Writer<'_>,
    field: &tracing::field::Field,
    value: &dyn std::fmt::Debug,
) -> std::fmt::Result {
    if field.name() != "message" {
        write!(w, "{}=", field.name())?;
    }
    let text = format!("{value:?}");
    for c in text.chars() {
        if c.is_control() {
            w.write_str(&c.escape_default().to_string())?;
        } else {
            write!(w, "{c}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A `MakeWriter` collecting everything written into one buffer.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'w> fmt::MakeWriter<'w> for Captured {
        type Writer = Captured;

        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    impl Captured {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn emit(format: LogFormat, level: &str) -> String {
        let out = Captured::default();
        let (filter, _) = filter(level, None);
        let subscriber = tracing_subscriber::registry()
            .with(layer(format, out.clone(), false).with_filter(filter));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", method = "GET", route = "/api/healthz");
            let _entered = span.enter();
            tracing::info!(status = 200, latency_ms = 3, "finished");
            tracing::debug!("hidden at info");
        });
        out.text()
    }

    #[test]
    fn json_is_one_object_per_line_with_span_fields() {
        let text = emit(LogFormat::Json, "info");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let event: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(event["message"], "finished");
        assert_eq!(event["level"], "INFO");
        assert_eq!(event["status"], 200);
        assert_eq!(event["span"]["route"], "/api/healthz");
        assert!(event["timestamp"].is_string());
    }

    #[test]
    fn text_is_readable_and_filtered() {
        let text = emit(LogFormat::Text, "info");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains("INFO"), "{text}");
        assert!(text.contains("finished status=200"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no colours when not a terminal: {text:?}"
        );

        let quiet = emit(LogFormat::Text, "info,hatchery::logging=warn");
        assert_eq!(quiet, "");
        let all = emit(LogFormat::Text, "debug");
        assert!(all.contains("hidden at info"), "{all}");
    }

    /// A login name or path with line breaks stays on its own line, escaped.
    #[test]
    fn request_values_cannot_forge_lines() {
        for format in [LogFormat::Text, LogFormat::Json] {
            let out = Captured::default();
            let (filter, _) = filter("info", None);
            let subscriber = tracing_subscriber::registry()
                .with(layer(format, out.clone(), false).with_filter(filter));
            let login = "ghost\r\n2026-01-01T00:00:00Z  INFO hatchery: admin signed in\u{1b}[2J";
            tracing::subscriber::with_default(subscriber, || {
                tracing::info!(login = %login, path = %"/a\nb", "failed sign-in {}", "x\ny");
            });
            let text = out.text();
            assert_eq!(text.lines().count(), 1, "{format:?}: {text}");
            assert!(!text.contains('\u{1b}'), "{format:?}: {text:?}");
            assert!(!text.contains('\r'), "{format:?}: {text:?}");
            if format == LogFormat::Text {
                assert!(text.contains(r"login=ghost\r\n2026"), "{text}");
                assert!(text.contains(r"failed sign-in x\ny"), "{text}");
            }
        }
    }

    #[test]
    fn rust_log_overrides_the_configured_level() {
        let (f, error) = filter("info", Some("debug"));
        assert!(error.is_none());
        assert_eq!(f.to_string(), "debug");

        let (f, error) = filter("warn", Some("  "));
        assert!(error.is_none());
        assert_eq!(f.to_string(), "sqlx::postgres::notice=warn,warn");

        let (f, error) = filter("warn", Some("hatchery=loud"));
        assert!(error.is_some());
        assert_eq!(f.to_string(), "sqlx::postgres::notice=warn,warn");
    }

    #[test]
    fn init_twice_is_harmless() {
        let cfg = LogConfig {
            level: "warn".into(),
            format: LogFormat::Text,
        };
        init(&cfg);
        init(&LogConfig {
            format: LogFormat::Json,
            ..cfg
        });
        tracing::warn!("still works");
    }
}
