//! Logs and traces for the service's binaries (the `resolver_service` binary, and any other
//! binary of the workspace such as a command line): one call, [`init`], installs the scrubbed
//! stderr log of [`crate::logging`] and, when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and the crate is built with the `otel` feature
//! (the default), an OpenTelemetry exporter of the library's spans over OTLP/HTTP with protobuf
//! bodies. Without the variable no exporter is built and spans cost what the log formatter makes
//! of them.
//!
//! ```no_run
//! # async fn run() -> Result<(), genesys_resolver_service::telemetry::TelemetryError> {
//! use genesys_resolver_service::config::LogFormat;
//! use genesys_resolver_service::telemetry;
//!
//! let telemetry = telemetry::init(LogFormat::Text, "info", "resolver_service")?;
//! // ... serve ...
//! telemetry.shutdown().await; // exports the spans still buffered
//! # Ok(()) }
//! ```
//!
//! The variables read here (the exporter itself also honours `OTEL_EXPORTER_OTLP_HEADERS`, and
//! the SDK `OTEL_TRACES_SAMPLER`, `OTEL_TRACES_SAMPLER_ARG`, `OTEL_RESOURCE_ATTRIBUTES` and
//! `OTEL_BSP_*`; an export times out after ten seconds):
//!
//! | variable | meaning |
//! |---|---|
//! | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` | the full URL spans are posted to |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | the collector's base URL; spans go to `<base>/v1/traces` |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` | `http/protobuf` (the default and the only one built) |
//! | `OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE` | a PEM file of trust anchors for an `https` collector, beside the system's |
//! | `OTEL_SERVICE_NAME` | `service.name` (default: the binary's name) |
//! | `OTEL_TRACES_EXPORTER` | `otlp` (default) or `none` |
//! | `OTEL_SDK_DISABLED` | `true`: no exporter |
//!
//! Only spans are exported, never log events, and every string attribute passes
//! [`genesys_resolver::redact::text`] on its way out, as every log line does. The span names
//! and attributes are those of [`genesys_resolver::spans`].

use std::path::PathBuf;

use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::{LogFormat, Lookup};
use crate::logging::Scrubbing;

/// Telemetry could not be set up; names the variable and rule when a setting is at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// A variable holds a value the rules refuse.
    #[error("{variable}: {reason}")]
    InvalidSetting {
        /// The variable.
        variable: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The exporter could not be built (its HTTP client, its trust store).
    #[error("the OTLP exporter cannot be built: {0}")]
    Exporter(String),
    /// The exporter needs a Tokio runtime to send from, and none is running.
    #[error("the OTLP exporter needs a Tokio runtime: call telemetry::init inside one")]
    NoRuntime,
    /// A global `tracing` subscriber is installed already.
    #[error("a tracing subscriber is installed already: {0}")]
    Subscriber(String),
}

/// Where and how spans are exported, as the standard `OTEL_*` variables say.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OtlpSettings {
    /// The URL spans are posted to (`.../v1/traces`).
    pub traces_endpoint: String,
    /// Extra trust anchors (PEM) for an `https` collector.
    pub certificate: Option<PathBuf>,
}

impl OtlpSettings {
    /// Reads the standard variables from the process environment; `None` when spans are not
    /// to be exported (no endpoint, `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`).
    pub fn from_env() -> Result<Option<Self>, TelemetryError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any lookup (a map in tests).
    pub fn from_lookup(env: Lookup<'_>) -> Result<Option<Self>, TelemetryError> {
        let var = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        match var("OTEL_TRACES_EXPORTER").as_deref() {
            None | Some("otlp") => {}
            Some("none") => return Ok(None),
            Some(other) => {
                return Err(TelemetryError::InvalidSetting {
                    variable: "OTEL_TRACES_EXPORTER",
                    reason: format!("{other:?} is not `otlp` or `none`"),
                });
            }
        }
        let (variable, traces_endpoint) =
            if let Some(url) = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)
            } else if let Some(base) = var("OTEL_EXPORTER_OTLP_ENDPOINT") {
                let url = format!("{}/v1/traces", base.trim_end_matches('/'));
                ("OTEL_EXPORTER_OTLP_ENDPOINT", url)
            } else {
                return Ok(None);
            };
        let scheme = traces_endpoint.split_once("://").map(|(s, _)| s);
        if !matches!(scheme, Some("http" | "https")) {
            return Err(TelemetryError::InvalidSetting {
                variable,
                reason: "not an http:// or https:// URL".to_owned(),
            });
        }
        if let Err(e) = traces_endpoint.parse::<http::Uri>() {
            return Err(TelemetryError::InvalidSetting {
                variable,
                reason: format!("not a URL ({e})"),
            });
        }
        for protocol_var in [
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ] {
            if let Some(protocol) = var(protocol_var) {
                if protocol != "http/protobuf" {
                    return Err(TelemetryError::InvalidSetting {
                        variable: if protocol_var.contains("TRACES") {
                            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
                        } else {
                            "OTEL_EXPORTER_OTLP_PROTOCOL"
                        },
                        reason: format!(
                            "{protocol:?} is not supported: this build exports over `http/protobuf` only"
                        ),
                    });
                }
                break;
            }
        }
        let certificate = var("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE")
            .or_else(|| var("OTEL_EXPORTER_OTLP_CERTIFICATE"))
            .map(PathBuf::from);
        Ok(Some(Self {
            traces_endpoint,
            certificate,
        }))
    }
}

/// The installed telemetry. Keep it for the process's lifetime and call
/// [`shutdown`](Self::shutdown) before exiting, so the spans still buffered are exported
/// (dropping it does the same, blocking for up to five seconds).
#[derive(Debug)]
#[must_use = "dropping the telemetry stops the span export"]
pub struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are being exported.
    pub fn is_exporting(&self) -> bool {
        #[cfg(feature = "otel")]
        return self.provider.is_some();
        #[cfg(not(feature = "otel"))]
        false
    }

    /// Exports the spans still buffered and stops the exporter (within five seconds).
    #[cfg_attr(not(feature = "otel"), allow(clippy::unused_async))]
    pub async fn shutdown(mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider.take() {
            // The batch processor sends from its own thread through tasks on this runtime:
            // wait for it off the runtime's threads.
            let _ = tokio::task::spawn_blocking(move || otel::shutdown(&provider)).await;
        }
        #[cfg(not(feature = "otel"))]
        let _ = &mut self;
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider.take() {
            otel::shutdown(&provider);
        }
    }
}

/// Installs the global subscriber: the scrubbed stderr log (`RUST_LOG`, or `default_filter`,
/// in `format`) and, when [`OtlpSettings::from_env`] says so, the span exporter, with
/// `service.name` from `OTEL_SERVICE_NAME` or else `default_service_name`. Call it inside a
/// Tokio runtime, once.
pub fn init(
    format: LogFormat,
    default_filter: &str,
    default_service_name: &str,
) -> Result<Telemetry, TelemetryError> {
    let otlp = OtlpSettings::from_env()?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let (dispatch, telemetry) = subscriber(format, filter, otlp.as_ref(), default_service_name)?;
    dispatch
        .try_init()
        .map_err(|e| TelemetryError::Subscriber(e.to_string()))?;
    if let Some(settings) = &otlp {
        let endpoint = genesys_resolver::redact::uri(&settings.traces_endpoint);
        if cfg!(feature = "otel") {
            tracing::info!(%endpoint, "exporting spans over OTLP/HTTP");
        } else {
            tracing::warn!(
                %endpoint,
                "an OTLP endpoint is set, but this build has no `otel` feature: no spans are exported"
            );
        }
    }
    Ok(telemetry)
}

/// The subscriber [`init`] installs, built but not installed (a benchmark or a test sets it
/// for a scope with [`tracing::dispatcher::with_default`]): the scrubbed stderr log filtered by
/// `filter`, in `format`, and with `otlp` (and the `otel` feature) the span exporter. Call it
/// inside a Tokio runtime when `otlp` is given.
pub fn subscriber(
    format: LogFormat,
    filter: EnvFilter,
    otlp: Option<&OtlpSettings>,
    default_service_name: &str,
) -> Result<(tracing::Dispatch, Telemetry), TelemetryError> {
    let log = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(Scrubbing(std::io::stderr));
    let log = match format {
        LogFormat::Text => log.with_filter(filter).boxed(),
        LogFormat::Json => log.json().with_filter(filter).boxed(),
    };
    #[cfg_attr(not(feature = "otel"), allow(unused_mut))]
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![log];
    #[cfg(feature = "otel")]
    let provider = match otlp {
        Some(settings) => {
            let (provider, layer) = otel::layer(settings, default_service_name)?;
            layers.push(layer.with_filter(exported()).boxed());
            Some(provider)
        }
        None => None,
    };
    #[cfg(not(feature = "otel"))]
    let _ = (default_service_name, otlp, exported);
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layers));
    Ok((
        dispatch,
        Telemetry {
            #[cfg(feature = "otel")]
            provider,
        },
    ))
}

/// What the exporter sees: spans at `INFO` or above, never log events (those stay in the
/// scrubbed log).
fn exported() -> tracing_subscriber::filter::FilterFn<impl Fn(&tracing::Metadata<'_>) -> bool> {
    filter_fn(|meta| meta.is_span() && *meta.level() <= Level::INFO)
}

#[cfg(feature = "otel")]
mod otel {
    //! The OpenTelemetry side: the HTTP client the exporter sends with, the scrubbing
    //! exporter and the tracer provider.

    use std::time::Duration;

    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry::{KeyValue, StringValue, Value};
    use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
    use tracing_subscriber::Registry;

    use super::{OtlpSettings, TelemetryError};

    /// One export's time limit (the OTLP default).
    const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a shutdown waits for the last export.
    const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
    /// The largest collector answer read.
    const MAX_RESPONSE_BYTES: usize = 1 << 20;

    /// The exporter's HTTP client: the workspace's reqwest over rustls (ring), each request
    /// sent as a task on the runtime [`super::init`] ran in, since the batch processor exports
    /// from a thread of its own.
    #[derive(Debug)]
    struct RuntimeClient {
        http: reqwest::Client,
        runtime: tokio::runtime::Handle,
    }

    #[async_trait::async_trait]
    impl HttpClient for RuntimeClient {
        async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
            let http = self.http.clone();
            let sent = self.runtime.spawn(async move {
                let request =
                    reqwest::Request::try_from(request).map_err(reqwest::Error::without_url)?;
                let mut response = http
                    .execute(request)
                    .await
                    .map_err(reqwest::Error::without_url)?;
                let status = response.status();
                let headers = std::mem::take(response.headers_mut());
                let mut body = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(reqwest::Error::without_url)?
                {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                if !status.is_success() {
                    tracing::warn!(status = status.as_u16(), "the OTLP collector refused spans");
                }
                let mut out = Response::builder().status(status).body(Bytes::from(body))?;
                *out.headers_mut() = headers;
                Ok::<_, HttpError>(out)
            });
            match sent.await {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "exporting spans failed");
                    Err(e)
                }
                Err(e) => Err(Box::new(e)),
            }
        }
    }

    /// An exporter that scrubs every string attribute, event and status text with
    /// [`genesys_resolver::redact::text`] before handing the batch on.
    #[derive(Debug)]
    struct Scrubbed<E>(E);

    fn scrub_value(value: &mut Value) {
        if let Value::String(s) = value
            && let Some(clean) = genesys_resolver::redact::text_if_changed(s.as_str())
        {
            *s = StringValue::from(clean);
        }
    }

    fn scrub_all(attributes: &mut [KeyValue]) {
        for kv in attributes {
            scrub_value(&mut kv.value);
        }
    }

    impl<E: SpanExporter> SpanExporter for Scrubbed<E> {
        fn export(
            &self,
            mut batch: Vec<SpanData>,
        ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
            for span in &mut batch {
                scrub_all(&mut span.attributes);
                for event in &mut span.events.events {
                    scrub_all(&mut event.attributes);
                }
                if let opentelemetry::trace::Status::Error { description } = &mut span.status {
                    *description = genesys_resolver::redact::text(description).into();
                }
            }
            self.0.export(batch)
        }

        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.0.shutdown_with_timeout(timeout)
        }

        fn force_flush(&self) -> OTelSdkResult {
            self.0.force_flush()
        }

        fn set_resource(&mut self, resource: &Resource) {
            self.0.set_resource(resource);
        }
    }

    /// The HTTP client: system roots plus the settings' certificate, no redirects, a timeout.
    fn http_client(settings: &OtlpSettings) -> Result<reqwest::Client, TelemetryError> {
        let mut trust = genesys_resolver::tls::TrustConfig::system();
        if let Some(path) = &settings.certificate {
            trust = trust.with_ca_file(path);
        }
        let tls = match trust.client_config() {
            Ok(tls) => tls,
            // A plain-HTTP collector needs no trust anchors; a machine may have none.
            Err(_)
                if settings.traces_endpoint.starts_with("http:")
                    && settings.certificate.is_none() =>
            {
                rustls::ClientConfig::builder_with_provider(genesys_resolver::tls::provider())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| TelemetryError::Exporter(e.to_string()))?
                    .with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            }
            Err(e) => return Err(TelemetryError::Exporter(e.to_string())),
        };
        reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(EXPORT_TIMEOUT)
            .connect_timeout(EXPORT_TIMEOUT)
            .user_agent(concat!(
                "genesys-resolver-service/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| TelemetryError::Exporter(e.without_url().to_string()))
    }

    /// The tracer provider (batching, exporting through [`Scrubbed`]) and the `tracing` layer
    /// feeding it.
    pub(super) fn layer(
        settings: &OtlpSettings,
        default_service_name: &str,
    ) -> Result<
        (
            SdkTracerProvider,
            tracing_opentelemetry::OpenTelemetryLayer<Registry, opentelemetry_sdk::trace::Tracer>,
        ),
        TelemetryError,
    > {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| TelemetryError::NoRuntime)?;
        let client = RuntimeClient {
            http: http_client(settings)?,
            runtime,
        };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(settings.traces_endpoint.clone())
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT)
            .with_http_client(client)
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let named = std::env::var_os("OTEL_SERVICE_NAME").is_some_and(|v| !v.is_empty())
            || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| {
                v.split(',')
                    .any(|kv| kv.trim().starts_with("service.name="))
            });
        let mut resource = Resource::builder()
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
        if !named {
            resource = resource.with_service_name(default_service_name.to_owned());
        }
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(Scrubbed(exporter))
            .with_resource(resource.build())
            .build();
        let tracer = provider.tracer("genesys-resolver");
        // No OpenTelemetry context is made current on each span entry: nothing in the service
        // reads `opentelemetry::Context::current()` (parents come from the `tracing` span tree,
        // so the exported spans and their links are the same), and attaching one on every
        // poll of every instrumented future is most of this layer's cost per entry.
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_threads(false)
            .with_location(false)
            .with_context_activation(false);
        Ok((provider, layer))
    }

    /// Exports what is buffered and stops, within [`SHUTDOWN_TIMEOUT`].
    pub(super) fn shutdown(provider: &SdkTracerProvider) {
        if let Err(e) = provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT) {
            tracing::warn!(error = %e, "the span exporter did not shut down cleanly");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<Option<OtlpSettings>, TelemetryError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        OtlpSettings::from_lookup(&|name| map.get(name).cloned())
    }

    #[test]
    fn no_endpoint_means_no_exporter() {
        assert_eq!(read(&[]).unwrap(), None);
        assert_eq!(read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]).unwrap(), None);
        let on = [("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")];
        assert!(read(&on).unwrap().is_some());
        assert_eq!(read(&[on[0], ("OTEL_SDK_DISABLED", "true")]).unwrap(), None);
        assert_eq!(
            read(&[on[0], ("OTEL_TRACES_EXPORTER", "none")]).unwrap(),
            None
        );
    }

    #[test]
    fn the_base_endpoint_gets_the_traces_path_and_the_signal_endpoint_wins() {
        let s = read(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/")])
            .unwrap()
            .unwrap();
        assert_eq!(s.traces_endpoint, "http://127.0.0.1:4318/v1/traces");
        let s = read(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
            (
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://collector:4318/custom",
            ),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(s.traces_endpoint, "https://collector:4318/custom");
        assert_eq!(s.certificate, Some(PathBuf::from("/etc/ca.pem")));
    }

    #[test]
    fn bad_settings_name_their_variable() {
        let base = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        for (vars, variable) in [
            (
                vec![base, ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
                "OTEL_EXPORTER_OTLP_PROTOCOL",
            ),
            (
                vec![base, ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")],
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            ),
            (
                vec![("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            ),
            (
                vec![("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "not a url")],
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            ),
            (
                vec![base, ("OTEL_TRACES_EXPORTER", "zipkin")],
                "OTEL_TRACES_EXPORTER",
            ),
        ] {
            match read(&vars) {
                Err(TelemetryError::InvalidSetting { variable: v, .. }) => {
                    assert_eq!(v, variable, "{vars:?}");
                }
                other => panic!("{vars:?}: {other:?}"),
            }
        }
        assert!(
            read(&[base, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")])
                .unwrap()
                .is_some()
        );
    }
}
