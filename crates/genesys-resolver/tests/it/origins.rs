//! Where credentials may go: a setting cannot point the client at a listener of its choosing,
//! and no request path can carry the bearer token off the configured origin. Each attack runs
//! against loopback listeners that record what reaches them; the safe outcome is a clear
//! refusal and nothing sent.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use genesys_resolver::api::{ApiRequest, ClientError, GenesysClient, IntegrationsApi};
use genesys_resolver::environment::{
    ALLOW_CUSTOM_VAR, Environment, EnvironmentError, EnvironmentPolicy,
};
use genesys_resolver::settings::ResolverSettings;
use genesys_resolver::testkit::genesys::{MockGenesys, Route};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// A loopback listener that counts the connections reaching it (and reads what they send).
struct Trap {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Trap {
    async fn on(ip: Ipv4Addr) -> Self {
        let listener = TcpListener::bind(SocketAddr::new(IpAddr::V4(ip), 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0_u8; 1024];
                let _ = tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf)).await;
            }
        });
        Self {
            addr,
            connections,
            task,
        }
    }

    /// Connections so far, after a moment for any in flight to land.
    async fn connections(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lookup(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
}

#[tokio::test]
async fn a_settings_environment_naming_a_listener_is_refused_and_nothing_is_sent() {
    let trap = Trap::on(Ipv4Addr::LOCALHOST).await;
    let url = format!("http://{}", trap.addr);
    let vars = |extra: Option<&'static str>| {
        let mut vars = vec![
            ("GENESYS_ENVIRONMENT", url.clone()),
            ("GENESYS_CLIENT_ID", "victim-client-id".to_owned()),
            (
                "GENESYS_CLIENT_SECRET",
                "victim-client-secret-0042".to_owned(),
            ),
        ];
        if let Some(value) = extra {
            vars.push((ALLOW_CUSTOM_VAR, value.to_owned()));
        }
        vars
    };
    for opt_in in [None, Some("0"), Some("false"), Some("")] {
        let err = ResolverSettings::from_lookup(lookup(vars(opt_in))).unwrap_err();
        assert_eq!(err.setting, "GENESYS_ENVIRONMENT", "{err}");
        assert!(err.reason.contains(ALLOW_CUSTOM_VAR), "{err}");
        assert!(!err.to_string().contains("victim-client-secret"), "{err}");
    }
    let err = ResolverSettings::from_lookup(lookup(vars(Some("perhaps")))).unwrap_err();
    assert_eq!(err.setting, ALLOW_CUSTOM_VAR, "{err}");
    assert_eq!(
        trap.connections().await,
        0,
        "no credential left the process"
    );

    // The operator's opt-in lets the same setting through: the listener is then the
    // environment, on purpose.
    let settings = ResolverSettings::from_lookup(lookup(vars(Some("1")))).unwrap();
    let env = settings.client.environment.unwrap();
    assert_eq!(env.api_base().as_str(), format!("{url}/"));
    assert!(!env.is_genesys_cloud());
}

#[tokio::test]
async fn plain_http_beyond_loopback_is_refused_even_with_the_opt_in() {
    for value in ["http://10.0.0.5:8080", "http://gateway.example.com"] {
        let err = ResolverSettings::from_lookup(lookup(vec![
            ("GENESYS_ENVIRONMENT", value.to_owned()),
            (ALLOW_CUSTOM_VAR, "1".to_owned()),
        ]))
        .unwrap_err();
        assert_eq!(err.setting, "GENESYS_ENVIRONMENT");
        assert!(err.reason.contains("loopback"), "{err}");
    }
    // A serialized settings document is data, not an opt-in.
    let doc = serde_json::json!({"client": {"environment": "https://gateway.example.com"}});
    let err = serde_json::from_value::<ResolverSettings>(doc).unwrap_err();
    assert!(err.to_string().contains(ALLOW_CUSTOM_VAR), "{err}");
}

#[tokio::test]
async fn the_genesys_ecosystem_names_are_read_and_keep_to_genesys_cloud() {
    let settings = ResolverSettings::from_lookup(lookup(vec![
        ("GENESYSCLOUD_REGION", "eu-west-1".to_owned()),
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "tf-client".to_owned()),
        (
            "GENESYSCLOUD_OAUTHCLIENT_SECRET",
            "tf-secret-0042".to_owned(),
        ),
    ]))
    .unwrap();
    let env = settings.client.environment.unwrap();
    assert_eq!(env.api_base().as_str(), "https://api.mypurecloud.ie/");
    assert_eq!(settings.client.client_id.as_deref(), Some("tf-client"));
    assert!(settings.client.client_secret.is_some());

    // The gc CLI's domain form too.
    let settings = ResolverSettings::from_lookup(lookup(vec![(
        "GENESYSCLOUD_REGION",
        "usw2.pure.cloud".to_owned(),
    )]))
    .unwrap();
    assert_eq!(
        settings.client.environment.unwrap().region(),
        Some("us_west_2")
    );

    // The project's own names win.
    let settings = ResolverSettings::from_lookup(lookup(vec![
        ("GENESYS_ENVIRONMENT", "mypurecloud.de".to_owned()),
        ("GENESYSCLOUD_REGION", "us-east-1".to_owned()),
        ("GENESYS_CLIENT_ID", "own-client".to_owned()),
        ("GENESYSCLOUD_OAUTHCLIENT_ID", "tf-client".to_owned()),
    ]))
    .unwrap_err();
    // (an id without a secret is refused; the environment read first is GENESYS_ENVIRONMENT)
    assert_eq!(settings.setting, "client.client_secret");

    // GENESYSCLOUD_REGION never names a custom environment, opt-in or not.
    let trap = Trap::on(Ipv4Addr::LOCALHOST).await;
    let err = ResolverSettings::from_lookup(lookup(vec![
        ("GENESYSCLOUD_REGION", format!("http://{}", trap.addr)),
        (ALLOW_CUSTOM_VAR, "1".to_owned()),
    ]))
    .unwrap_err();
    assert_eq!(err.setting, "GENESYSCLOUD_REGION");
    assert_eq!(trap.connections().await, 0);
}

/// A client of `mock` whose integrations path is `path` (the builder checks it first).
fn client_with_path(mock: &MockGenesys, path: &str) -> Result<GenesysClient, String> {
    GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .integrations_path(path)
        .build()
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn no_integrations_path_carries_the_token_off_the_origin() {
    let mock = MockGenesys::start().await.unwrap();
    // The other host of the attack: 127.0.0.2, where the URL parser would have sent the token.
    let trap = Trap::on(Ipv4Addr::new(127, 0, 0, 2)).await;
    let port = trap.addr.port();
    let attacks = [
        format!("/\\/127.0.0.2:{port}/x"),
        format!("//127.0.0.2:{port}/x"),
        format!("/\\\\127.0.0.2:{port}/x"),
        format!("http://127.0.0.2:{port}/x"),
        format!("/http://127.0.0.2:{port}/x"),
        format!("/api/../../127.0.0.2:{port}/x"),
        format!("/api/%2e%2e/%2f%2f127.0.0.2:{port}/x"),
        format!("/api/%5c%5c127.0.0.2:{port}/x"),
        format!("/api/x@127.0.0.2:{port}/x"),
        format!("/api/x\n/127.0.0.2:{port}"),
    ];
    for path in &attacks {
        // As a setting: refused, naming the setting.
        let err = ResolverSettings::from_lookup(lookup(vec![
            ("GENESYS_ENVIRONMENT", "eu_west_1".to_owned()),
            ("RESOLVER_INTEGRATIONS_PATH", path.clone()),
        ]))
        .unwrap_err();
        assert_eq!(err.setting, "client.integrations_path", "{path:?}: {err}");
        // On the builder: refused before anything is built.
        let err = client_with_path(&mock, path).unwrap_err();
        assert!(err.contains("integrations_path"), "{path:?}: {err}");
        // As a request path of the generic helper: refused before anything is sent.
        let client = client_with_path(&mock, "/api/v2/outbound/integrations").unwrap();
        let err = client
            .execute(&ApiRequest::get(path.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::InvalidRequest(_)),
            "{path:?}: {err}"
        );
    }
    assert_eq!(trap.connections().await, 0, "nothing reached 127.0.0.2");
    assert!(
        mock.request_log().is_empty() && mock.token_requests() == 0,
        "not even the configured origin was called for a refused path"
    );
}

#[tokio::test]
async fn ids_cannot_walk_out_of_their_route() {
    let mock = MockGenesys::start().await.unwrap();
    let client = client_with_path(&mock, "/api/v2/outbound/integrations").unwrap();
    for id in ["..", ".", ""] {
        let err = client.get(id).await.unwrap_err();
        assert!(
            matches!(err, ClientError::InvalidRequest(_)),
            "{id:?}: {err}"
        );
    }
    // Anything else is one percent-encoded segment under the route.
    assert_eq!(client.get("../../x").await.unwrap(), None);
    assert_eq!(client.get("a\\b").await.unwrap(), None);
    let uris: Vec<String> = mock
        .request_log()
        .into_iter()
        .filter(|r| r.route != Route::Token)
        .map(|r| r.uri)
        .collect();
    assert_eq!(
        uris,
        [
            "/api/v2/outbound/integrations/..%2F..%2Fx",
            "/api/v2/outbound/integrations/a%5Cb"
        ]
    );
}

#[tokio::test]
async fn the_configured_origin_still_works_with_the_opt_in() {
    let mock = MockGenesys::start().await.unwrap();
    let base = mock.base_url().as_str().trim_end_matches('/').to_owned();
    let settings = ResolverSettings::from_lookup(lookup(vec![
        ("GENESYS_ENVIRONMENT", base.clone()),
        (ALLOW_CUSTOM_VAR, "yes".to_owned()),
        ("GENESYS_CLIENT_ID", mock.client_id().to_owned()),
        ("GENESYS_CLIENT_SECRET", mock.client_secret().to_owned()),
    ]))
    .unwrap();
    let client = GenesysClient::builder()
        .settings(settings.client)
        .build()
        .unwrap();
    assert_eq!(client.find_by_name("nothing").await.unwrap(), None);
    assert_eq!(mock.token_requests(), 1);
    // Code names a custom environment explicitly; a plain parse does not.
    assert!(matches!(
        Environment::parse(&base),
        Err(EnvironmentError::CustomNotAllowed { .. })
    ));
    assert!(Environment::parse_with(&base, EnvironmentPolicy::AllowCustom).is_ok());
}
