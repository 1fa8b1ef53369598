//! The client's write pacer: creates paced to a server's per-second create limit, with the
//! listings a resolve makes not counted against it, so no create is refused with 429.

use std::time::{Duration, Instant};

use genesys_resolver::api::{GenesysClient, IntegrationsApi};
use genesys_resolver::testkit::genesys::{MockGenesys, Route};

use crate::common::payload;

#[tokio::test]
async fn creates_are_paced_below_the_server_limit_and_reads_are_not() {
    let mock = MockGenesys::start().await.unwrap();
    mock.set_create_rate_limit(Some(5));
    // 90% of 5 per second; listings are not paced by the write limiter.
    let client = GenesysClient::builder()
        .environment(mock.environment())
        .credentials(mock.client_id(), mock.client_secret())
        .write_rate_limit_per_minute(270)
        .build()
        .unwrap();
    let started = Instant::now();
    let runs = (0..8).map(|i| {
        let client = client.clone();
        async move {
            let name = format!("paced-{i}");
            assert!(client.find_by_name(&name).await.unwrap().is_none());
            client.create(&payload(&name)).await
        }
    });
    let results = futures_util::future::join_all(runs).await;
    let elapsed = started.elapsed();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Eight creates, none refused and resent: the server never had to say 429.
    assert_eq!(mock.requests(Route::Create), 8);
    assert_eq!(mock.requests(Route::List), 8);
    // Seven intervals of 222 ms: well over a second, nowhere near the retry policy's waits.
    assert!(elapsed > Duration::from_millis(1200), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[test]
fn a_zero_write_rate_is_refused() {
    let err = GenesysClient::builder()
        .environment(genesys_resolver::environment::Environment::parse("us_east_1").unwrap())
        .credentials("id", "secret")
        .write_rate_limit_per_minute(0)
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("write_rate_limit_per_minute"),
        "{err}"
    );
}
