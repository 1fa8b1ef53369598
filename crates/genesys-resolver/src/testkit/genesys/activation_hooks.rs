//! What the mock does when an integration of the real integrations API becomes `ACTIVE`:
//! callbacks ([`MockGenesysBuilder::on_activation`]) and, built on them, the partner event
//! source Genesys creates in the customer's AWS account
//! ([`MockGenesysBuilder::aws_emulator`]), here in an AWS emulator such as moto.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::MockGenesysBuilder;
use super::integration::PlatformIntegration;

/// An integration that has just become `ACTIVE` (once per configuration version).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Activated {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its integration type id (`amazon-eventbridge-source`, ...).
    pub type_id: String,
    /// The `properties` of its configuration.
    pub properties: Value,
    /// The configuration's version.
    pub version: u64,
}

type Callback = Arc<dyn Fn(&Activated) + Send + Sync>;

/// The callbacks, and which activations they were told of.
#[derive(Clone, Default)]
pub(super) struct ActivationHooks {
    callbacks: Vec<Callback>,
    told: Arc<Mutex<HashSet<(String, u64)>>>,
}

impl fmt::Debug for ActivationHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivationHooks")
            .field("callbacks", &self.callbacks.len())
            .finish_non_exhaustive()
    }
}

impl ActivationHooks {
    /// Tells every callback when `p` is `ACTIVE` and was not told of at this version. Called
    /// with the mock's state locked: a callback must not block (spawn the slow part).
    pub(super) fn notice(&self, p: &PlatformIntegration) {
        if self.callbacks.is_empty() || p.reported != "ACTIVE" {
            return;
        }
        let key = (p.id.clone(), p.version());
        let first = self
            .told
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key);
        if !first {
            return;
        }
        let activated = Activated {
            id: p.id.clone(),
            name: p.name.clone(),
            type_id: p.type_id.clone(),
            properties: p.config.get("properties").cloned().unwrap_or(Value::Null),
            version: p.version(),
        };
        for callback in &self.callbacks {
            callback(&activated);
        }
    }
}

impl MockGenesysBuilder {
    /// Calls `callback` each time an integration of the real integrations API becomes `ACTIVE`
    /// (once per configuration version). It runs with the mock's state locked, inside the
    /// mock's tokio runtime: it must not block; spawn anything slow.
    pub fn on_activation(mut self, callback: impl Fn(&Activated) + Send + Sync + 'static) -> Self {
        self.hooks.callbacks.push(Arc::new(callback));
        self
    }

    /// Does what Genesys does in the customer's AWS account when an `amazon-eventbridge-source`
    /// integration activates: creates the partner event source
    /// `aws.partner/genesys.com/cloud/{organization_id}/{eventSourceSuffix}` for the
    /// integration's `awsAccountId`, in its `awsAccountRegion`, by calling
    /// `CreatePartnerEventSource` on the emulator at `endpoint` (such as moto on a loopback
    /// port; the call is not signed). The call runs in the background after the activation; a
    /// failure is logged.
    pub fn aws_emulator(self, endpoint: Url, organization_id: impl Into<String>) -> Self {
        let organization_id = organization_id.into();
        self.on_activation(move |a| {
            if a.type_id != crate::eventbridge::TYPE_ID {
                return;
            }
            let prop = |k: &str| a.properties.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            let name = format!(
                "aws.partner/genesys.com/cloud/{organization_id}/{}",
                prop("eventSourceSuffix")
            );
            let body = json!({"Name": name, "Account": prop("awsAccountId")});
            let endpoint = endpoint.clone();
            let region = prop("awsAccountRegion");
            tokio::spawn(async move {
                if let Err(e) = create_partner_event_source(&endpoint, &region, &body).await {
                    tracing::warn!(error = %e, "the mock could not create the partner event source");
                }
            });
        })
    }
}

/// One unsigned AWS JSON 1.1 call over plain HTTP/1.1 (emulators only), with a region in the
/// credential scope of a placeholder `Authorization` header, where emulators read it.
async fn create_partner_event_source(
    endpoint: &Url,
    region: &str,
    body: &Value,
) -> std::io::Result<()> {
    let host = endpoint.host_str().unwrap_or("127.0.0.1");
    let port = endpoint.port_or_known_default().unwrap_or(80);
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: AWSEvents.CreatePartnerEventSource\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=genesys-mock/20260101/{region}/events/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let call = async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        let text = String::from_utf8_lossy(&response);
        if text.starts_with("HTTP/1.1 200") || text.starts_with("HTTP/1.0 200") {
            Ok(())
        } else {
            Err(std::io::Error::other(format!(
                "CreatePartnerEventSource answered {}",
                text.lines().next().unwrap_or_default()
            )))
        }
    };
    tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .map_err(|_| std::io::Error::other("CreatePartnerEventSource timed out"))?
}
