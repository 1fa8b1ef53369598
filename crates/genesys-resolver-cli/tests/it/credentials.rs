//! Where the command line sends credentials, tried as an attacker who controls a repository's
//! files would: a config file cannot point the client at a listener (nor opt in to custom
//! environments), a proxy only ever sees a TLS tunnel, and secret files others could change are
//! refused. Loopback listeners record what reaches them.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{CLIENT_ID, CLIENT_SECRET, Mock, command, eventbridge_yaml, run, write};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::process::Command;

/// A loopback listener that keeps the first bytes of every connection, then hangs up.
struct Trap {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Trap {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = vec![0_u8; 4096];
                let n = tokio::time::timeout(Duration::from_secs(2), socket.read(&mut buf))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                record
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        });
        Self { addr, seen, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    async fn seen(&self) -> Vec<String> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The binary without any proxy or ecosystem variable of the caller's.
fn clean() -> Command {
    let mut cmd = command();
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "GENESYSCLOUD_REGION",
        "GENESYSCLOUD_OAUTHCLIENT_ID",
        "GENESYSCLOUD_OAUTHCLIENT_SECRET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn integration(dir: &std::path::Path) -> String {
    write(
        dir,
        "orders.yaml",
        &eventbridge_yaml(
            "orders",
            "orders",
            &["v2.routing.queues.{id}.conversations"],
        ),
    )
}

#[tokio::test]
async fn a_config_file_cannot_send_the_credentials_to_a_listener() {
    let trap = Trap::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = integration(dir.path());
    // The secret is in the environment, as the docs advise; the repository holds the config.
    let attacks = [
        format!("GENESYS_ENVIRONMENT = \"{}\"\n", trap.url()),
        format!(
            "GENESYS_ENVIRONMENT = \"{}\"\nRESOLVER_ALLOW_CUSTOM_ENVIRONMENT = \"1\"\n",
            trap.url()
        ),
        "GENESYS_ENVIRONMENT = \"eu_west_1\"\nGENESYS_CLIENT_SECRET_FILE = \"/proc/self/environ\"\n"
            .to_owned(),
        format!(
            "GENESYS_ENVIRONMENT = \"eu_west_1\"\nRESOLVER_INTEGRATIONS_PATH = \"/\\\\/{}/x\"\n",
            trap.addr
        ),
    ];
    for (i, text) in attacks.iter().enumerate() {
        let config = write(dir.path(), &format!("c{i}.toml"), text);
        let mut cmd = clean();
        cmd.env("GENESYS_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
            .args(["--config", &config, "eventbridge", "plan", &file]);
        let out = run(cmd).await;
        assert_ne!(out.code, Some(0), "{text}: {out:?}");
        assert!(
            !out.stdout.contains(CLIENT_SECRET) && !out.stderr.contains(CLIENT_SECRET),
            "{out:?}"
        );
        match i {
            0 => assert!(
                out.stderr.contains("--allow-custom-environment"),
                "{}",
                out.stderr
            ),
            1 | 2 => assert!(
                out.stderr.contains("not accepted in a config file"),
                "{}",
                out.stderr
            ),
            _ => assert!(out.stderr.contains("integrations_path"), "{}", out.stderr),
        }
    }
    assert!(trap.seen().await.is_empty(), "nothing reached the listener");
}

#[tokio::test]
async fn the_operator_opts_in_by_flag_or_environment() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = integration(dir.path());
    let base = |cmd: &mut Command| {
        cmd.env("GENESYS_ENVIRONMENT", &mock.url)
            .env("GENESYS_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET);
    };
    let mut cmd = clean();
    base(&mut cmd);
    cmd.args(["eventbridge", "plan", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "refused without the opt-in: {out:?}");
    assert!(
        out.stderr.contains("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT"),
        "{}",
        out.stderr
    );

    let mut cmd = clean();
    base(&mut cmd);
    cmd.args(["--allow-custom-environment", "eventbridge", "plan", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stdout.contains("orders"), "{}", out.stdout);

    let mut cmd = clean();
    base(&mut cmd);
    cmd.env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
        .args(["eventbridge", "plan", &file]);
    assert_eq!(run(cmd).await.code, Some(0));
}

#[tokio::test]
async fn a_proxy_sees_a_tunnel_to_genesys_and_never_a_loopback_request() {
    let proxy = Trap::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = integration(dir.path());

    // Genesys Cloud over HTTPS: the token request goes through the proxy as a CONNECT tunnel;
    // the proxy sees the login host, never the credentials. (This proxy hangs up, so the run
    // fails.)
    let mut cmd = clean();
    cmd.env("GENESYS_ENVIRONMENT", "eu_west_1")
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("HTTPS_PROXY", proxy.url())
        .env("RESOLVER_MAX_ATTEMPTS", "1")
        .args(["eventbridge", "plan", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    let seen = proxy.seen().await;
    assert!(!seen.is_empty(), "the proxy was used");
    for request in &seen {
        assert!(
            request.starts_with("CONNECT login.mypurecloud.ie:443 "),
            "{request:?}"
        );
        assert!(!request.contains(CLIENT_SECRET) && !request.contains("Authorization"));
    }

    // A loopback mock over plain http: no proxy variable makes the request go anywhere else.
    let mock = Mock::start().await;
    let before = proxy.seen().await.len();
    let mut cmd = clean();
    cmd.env("GENESYS_ENVIRONMENT", &mock.url)
        .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("HTTP_PROXY", proxy.url())
        .env("HTTPS_PROXY", proxy.url())
        .env("ALL_PROXY", proxy.url())
        .args(["eventbridge", "plan", &file]);
    let out = run(cmd).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(proxy.seen().await.len(), before, "the proxy saw nothing");

    // A proxy the client cannot use is refused, naming the variable.
    let mut cmd = clean();
    cmd.env("GENESYS_ENVIRONMENT", "eu_west_1")
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("HTTPS_PROXY", "socks5://127.0.0.1:1")
        .args(["eventbridge", "plan", &file]);
    let out = run(cmd).await;
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("HTTPS_PROXY"), "{out:?}");
}

fn secret_file(dir: &std::path::Path, name: &str, mode: u32) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = write(dir, name, &format!("{CLIENT_SECRET}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[tokio::test]
async fn secret_files_others_could_change_are_refused_and_loose_ones_warned() {
    let mock = Mock::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = integration(dir.path());
    let plan = |secret_flag: Option<String>, secret_var: Option<String>| {
        let mut cmd = clean();
        cmd.env("GENESYS_ENVIRONMENT", &mock.url)
            .env("RESOLVER_ALLOW_CUSTOM_ENVIRONMENT", "1")
            .env("GENESYS_CLIENT_ID", CLIENT_ID);
        if let Some(path) = secret_flag {
            cmd.args(["--client-secret-file", &path]);
        }
        if let Some(path) = secret_var {
            cmd.env("GENESYS_CLIENT_SECRET_FILE", path);
        }
        cmd.args(["eventbridge", "plan", &file]);
        cmd
    };

    let tight = secret_file(dir.path(), "tight", 0o600);
    let out = run(plan(Some(tight.clone()), None)).await;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let out = run(plan(None, Some(tight))).await;
    assert_eq!(out.code, Some(0), "GENESYS_CLIENT_SECRET_FILE: {out:?}");

    let loose = secret_file(dir.path(), "loose", 0o644);
    for (flag, var) in [(Some(loose.clone()), None), (None, Some(loose.clone()))] {
        let out = run(plan(flag, var)).await;
        assert_eq!(out.code, Some(0), "{out:?}");
        assert!(
            out.stderr.contains("readable by its group or others")
                && out.stderr.contains("chmod 600"),
            "{}",
            out.stderr
        );
    }

    let writable = secret_file(dir.path(), "writable", 0o666);
    for (flag, var) in [
        (Some(writable.clone()), None),
        (None, Some(writable.clone())),
    ] {
        let out = run(plan(flag, var)).await;
        assert_eq!(out.code, Some(1), "{out:?}");
        assert!(
            out.stderr.contains("writable by its group or others"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains(CLIENT_SECRET));
    }
    let out = run(plan(Some("/proc/self/environ".to_owned()), None)).await;
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
}

#[tokio::test]
async fn the_route_credential_key_is_the_operators_and_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "orders.json",
        &crate::common::route_json(
            "orders",
            "https://hooks.example.com/orders",
            "orders",
            "bb14bed0-f8f9-445d-b9d1-10cecb8569d6",
        ),
    );
    let key = "repo-key-0123456789abcdef";
    // From a repository's config file: refused, naming the key, never its value.
    let config = write(
        dir.path(),
        "c.toml",
        &format!(
            "GENESYS_ENVIRONMENT = \"eu_west_1\"\nRESOLVER_ROUTE_CREDENTIAL_KEY = \"{key}\"\n"
        ),
    );
    let mut cmd = clean();
    cmd.env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .args(["--config", &config, "route", "plan", &file]);
    let out = run(cmd).await;
    assert_ne!(out.code, Some(0), "{out:?}");
    assert!(
        out.stderr
            .contains("RESOLVER_ROUTE_CREDENTIAL_KEY is not accepted in a config file"),
        "{}",
        out.stderr
    );
    // From the environment, too short: refused, naming the variable, never the value.
    let mut cmd = clean();
    cmd.env("GENESYS_ENVIRONMENT", "eu_west_1")
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("RESOLVER_ROUTE_CREDENTIAL_KEY", "tiny-key-7")
        .args(["route", "plan", &file]);
    let short = run(cmd).await;
    assert_eq!(short.code, Some(1), "{short:?}");
    assert!(
        short.stderr.contains("RESOLVER_ROUTE_CREDENTIAL_KEY")
            && short.stderr.contains("at least 16 bytes"),
        "{}",
        short.stderr
    );
    for (text, secret) in [
        (&out.stdout, key),
        (&out.stderr, key),
        (&short.stdout, "tiny-key-7"),
        (&short.stderr, "tiny-key-7"),
    ] {
        assert!(!text.contains(secret), "{text}");
    }
}
