//! What the mock does when an integration of the real integrations API becomes `ACTIVE`:
//! callbacks ([`MockGenesysBuilder::on_activation`]) and, built on them, the partner event
//! source Genesys creates in the customer's AWS account
//! ([`MockGenesysBuilder::link_aws_emulator`], [`MockGenesysBuilder::aws_emulator`]), here in
//! an AWS emulator such as moto.

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
    /// port; the call is plain HTTP and not signed). The call runs in the background after the
    /// activation; a failure is logged. [`link_aws_emulator`](Self::link_aws_emulator) does the
    /// same with the mock's own organisation id, which is what a test usually wants.
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

impl MockGenesysBuilder {
    /// Links the mock to the AWS emulator at `endpoint` (`http://host:port`, such as the strict
    /// emulator `genesys_resolver.aws_emulator` or moto) as Genesys is linked to a customer's
    /// account: when an `amazon-eventbridge-source` integration becomes `ACTIVE`, the mock
    /// creates its partner event source there under the mock's own organisation id, the one
    /// `GET /api/v2/organizations/me` answers ([`organization_id`](Self::organization_id),
    /// whichever order the two are set in). A route deployer that reads the organisation from
    /// the mock (a route without `organizationId`, or with the mock's) then finds the source it
    /// waits for. [`start`](Self::start) fails with `InvalidInput` when `endpoint` is not plain
    /// `http://` with a host: the mock's call is unsigned HTTP/1.1, for emulators only.
    ///
    /// ```
    /// use genesys_resolver::testkit::genesys::{DEFAULT_ORGANIZATION_ID, MockGenesys};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mock = MockGenesys::builder()
    ///     .link_aws_emulator("http://127.0.0.1:5000".parse()?)
    ///     .start()
    ///     .await?;
    /// assert_eq!(mock.organization_id(), DEFAULT_ORGANIZATION_ID); // the sources' organisation
    ///
    /// let refused = MockGenesys::builder()
    ///     .link_aws_emulator("https://127.0.0.1:5000".parse()?)
    ///     .start()
    ///     .await;
    /// assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    /// # Ok(()) }
    /// ```
    pub fn link_aws_emulator(mut self, endpoint: Url) -> Self {
        self.linked_emulator = Some(endpoint);
        self
    }
}

/// Refuses an emulator URL the mock cannot call: anything but `http://` with a host.
pub(super) fn check_emulator_endpoint(endpoint: &Url) -> std::io::Result<()> {
    if endpoint.scheme() == "http" && endpoint.host_str().is_some_and(|h| !h.is_empty()) {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "the AWS emulator URL must be http://host[:port] (the mock calls it over plain, \
             unsigned HTTP), not a {} URL",
            endpoint.scheme()
        ),
    ))
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::Value;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use crate::api::GenesysClient;
    use crate::eventbridge::{EventBridgeDeployer, EventBridgeIntegration};
    use crate::testkit::genesys::{DEFAULT_ORGANIZATION_ID, MockGenesys, MockGenesysBuilder};

    /// A stand-in emulator on loopback: answers every request 200 and hands over its text.
    async fn fake_emulator() -> (url::Url, mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut buf = vec![0_u8; 8192];
                let mut text = String::new();
                // The request is small: headers and a JSON body, read until the body is whole.
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                    if let Some((head, body)) = text.split_once("\r\n\r\n") {
                        let length = head
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if body.len() >= length {
                            break;
                        }
                    }
                }
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    )
                    .await;
                let _ = tx.send(text);
            }
        });
        (url, rx)
    }

    /// Applies an EventBridge integration to `mock` and returns the body the emulator got.
    async fn activate(mock: &MockGenesys, emulator: &mut mpsc::UnboundedReceiver<String>) -> Value {
        let client = GenesysClient::builder()
            .environment(mock.environment())
            .credentials(mock.client_id(), mock.client_secret())
            .build()
            .unwrap();
        let deployer = EventBridgeDeployer::builder(client)
            .poll_interval(Duration::from_millis(5), Duration::from_millis(20))
            .build()
            .unwrap();
        let desired =
            EventBridgeIntegration::new("orders-to-aws", "123456789012", "eu-west-1", "orders")
                .topics(["v2.users.{id}.presence"]);
        deployer.apply(&desired).await.unwrap();
        let request = tokio::time::timeout(Duration::from_secs(10), emulator.recv())
            .await
            .expect("the mock called the emulator")
            .unwrap();
        assert!(request.starts_with("POST / HTTP/1.1\r\n"), "{request}");
        assert!(
            request.contains("X-Amz-Target: AWSEvents.CreatePartnerEventSource"),
            "{request}"
        );
        assert!(
            request.contains("/eu-west-1/events/aws4_request"),
            "{request}"
        );
        let (_, body) = request.split_once("\r\n\r\n").unwrap();
        serde_json::from_str(body).unwrap()
    }

    #[tokio::test]
    async fn a_linked_emulator_gets_the_source_under_the_mocks_own_organisation() {
        let (url, mut emulator) = fake_emulator().await;
        let mock = MockGenesys::builder()
            .link_aws_emulator(url)
            .start()
            .await
            .unwrap();
        let body = activate(&mock, &mut emulator).await;
        assert_eq!(
            body["Name"],
            format!("aws.partner/genesys.com/cloud/{DEFAULT_ORGANIZATION_ID}/orders")
        );
        assert_eq!(body["Account"], "123456789012");
    }

    #[tokio::test]
    async fn the_organisation_set_after_the_link_names_the_source() {
        let (url, mut emulator) = fake_emulator().await;
        let mock = MockGenesys::builder()
            .link_aws_emulator(url)
            .organization_id("org-set-later")
            .start()
            .await
            .unwrap();
        assert_eq!(mock.organization_id(), "org-set-later");
        let body = activate(&mock, &mut emulator).await;
        assert_eq!(
            body["Name"],
            "aws.partner/genesys.com/cloud/org-set-later/orders"
        );
    }

    #[tokio::test]
    async fn an_emulator_url_the_mock_cannot_call_is_refused_at_start() {
        for url in [
            "https://127.0.0.1:5000",
            "ftp://127.0.0.1/",
            "unix:/tmp/emulator",
        ] {
            let builder: MockGenesysBuilder =
                MockGenesys::builder().link_aws_emulator(url.parse().unwrap());
            let err = builder.start().await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{url}");
            assert!(err.to_string().contains("http://host[:port]"), "{err}");
        }
    }
}
