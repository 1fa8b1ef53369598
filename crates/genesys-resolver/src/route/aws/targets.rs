//! The target writes: `PutTargets` and `RemoveTargets` in calls of at most
//! [`MAX_TARGETS_PER_CALL`] entries, each refused entry reported per target
//! ([`RouteError::TargetsFailed`]), and the SDK `Target` a destination becomes on a rule.

use aws_sdk_eventbridge::types::{DeadLetterConfig, InputTransformer, RetryPolicy, Target};

use super::super::error::{RouteError, TargetFailure};
use super::super::spec::{AwsSpec, DestinationSpec, RuleSpec};
use super::diff::target_name;
use super::{Aws, call_error};
use crate::change::{ChangeAction, ResourceKind};
use crate::document::aws_limits::MAX_TARGETS_PER_CALL;

impl Aws<'_> {
    /// Puts `targets` on `rule` (id, whether it existed, the target), at most ten per call; a
    /// refused entry is reported per target.
    pub(super) async fn put_targets(
        &mut self,
        spec: &AwsSpec,
        rule: &str,
        targets: Vec<(String, bool, Target)>,
    ) -> Result<(), RouteError> {
        for chunk in targets.chunks(MAX_TARGETS_PER_CALL) {
            let out = send!(
                "PutTargets",
                format!("targets of rule {rule}"),
                self.client
                    .put_targets()
                    .rule(rule)
                    .event_bus_name(&spec.bus_name)
                    .set_targets(Some(chunk.iter().map(|(_, _, t)| t.clone()).collect()))
            )?;
            let failures: Vec<TargetFailure> = out
                .failed_entries()
                .iter()
                .map(|f| failure(f.target_id(), f.error_code(), f.error_message()))
                .collect();
            for (id, existed, _) in chunk {
                if failures.iter().any(|f| f.target_id == *id) {
                    continue;
                }
                let action = if *existed {
                    ChangeAction::Update
                } else {
                    ChangeAction::Create
                };
                self.wrote(ResourceKind::Target, &target_name(rule, id), action);
            }
            if !failures.is_empty() || out.failed_entry_count() > 0 {
                return Err(RouteError::TargetsFailed {
                    operation: "PutTargets",
                    rule: rule.to_owned(),
                    failures,
                });
            }
        }
        Ok(())
    }

    pub(super) async fn remove_targets(
        &mut self,
        spec: &AwsSpec,
        rule: &str,
        ids: &[String],
    ) -> Result<(), RouteError> {
        for chunk in ids.chunks(MAX_TARGETS_PER_CALL) {
            let out = send!(
                "RemoveTargets",
                format!("targets of rule {rule}"),
                self.client
                    .remove_targets()
                    .rule(rule)
                    .event_bus_name(&spec.bus_name)
                    .set_ids(Some(chunk.to_vec()))
            )?;
            let failures: Vec<TargetFailure> = out
                .failed_entries()
                .iter()
                .map(|f| failure(f.target_id(), f.error_code(), f.error_message()))
                .collect();
            for id in chunk {
                if !failures.iter().any(|f| f.target_id == *id) {
                    self.wrote(
                        ResourceKind::Target,
                        &target_name(rule, id),
                        ChangeAction::Delete,
                    );
                }
            }
            if !failures.is_empty() || out.failed_entry_count() > 0 {
                return Err(RouteError::TargetsFailed {
                    operation: "RemoveTargets",
                    rule: rule.to_owned(),
                    failures,
                });
            }
        }
        Ok(())
    }
}

/// A refused target entry, its message redacted.
fn failure(target_id: Option<&str>, code: Option<&str>, message: Option<&str>) -> TargetFailure {
    TargetFailure {
        target_id: target_id.unwrap_or_default().to_owned(),
        code: code.map(str::to_owned),
        message: crate::redact::text(message.unwrap_or_default()),
    }
}

pub(super) fn build_target(
    spec: &AwsSpec,
    rule: &RuleSpec,
    d: &DestinationSpec,
    arn: &str,
) -> Result<Target, RouteError> {
    let invalid = |e: aws_sdk_eventbridge::error::BuildError| RouteError::InvalidResponse {
        resource: format!("target {}", target_name(&rule.name, &d.target_id)),
        reason: e.to_string(),
    };
    let transformer = rule
        .input_transformer
        .as_ref()
        .map(|t| {
            InputTransformer::builder()
                .set_input_paths_map(Some(t.paths.clone().into_iter().collect()))
                .input_template(&t.template)
                .build()
        })
        .transpose()
        .map_err(invalid)?;
    Target::builder()
        .id(&d.target_id)
        .arn(arn)
        .role_arn(&spec.role_arn)
        .retry_policy(
            RetryPolicy::builder()
                .maximum_retry_attempts(spec.max_retry_attempts)
                .maximum_event_age_in_seconds(spec.max_event_age)
                .build(),
        )
        .set_dead_letter_config(
            spec.dead_letter_arn
                .as_ref()
                .map(|a| DeadLetterConfig::builder().arn(a).build()),
        )
        .set_input_transformer(transformer)
        .build()
        .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use aws_sdk_eventbridge::Client;
    use aws_sdk_eventbridge::config::{BehaviorVersion, Credentials, Region};
    use aws_sdk_eventbridge::operation::create_api_destination::CreateApiDestinationOutput;
    use aws_sdk_eventbridge::operation::create_connection::CreateConnectionOutput;
    use aws_sdk_eventbridge::operation::create_event_bus::CreateEventBusOutput;
    use aws_sdk_eventbridge::operation::put_rule::PutRuleOutput;
    use aws_sdk_eventbridge::operation::put_targets::PutTargetsOutput;
    use aws_sdk_eventbridge::operation::remove_targets::RemoveTargetsOutput;
    use aws_sdk_eventbridge::types::{PutTargetsResultEntry, RemoveTargetsResultEntry};
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};

    use super::*;
    use crate::document::route::tests::route;
    use crate::outcome::ErrorKind;
    use crate::route::aws::Observed;

    const LEAK: &str = "Bearer leaked-token-77";

    /// An EventBridge client answered by `rules` only (no network).
    fn mocked(rules: &[&Rule]) -> Client {
        let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for rule in rules {
            interceptor = interceptor.with_rule(rule);
        }
        let config = aws_sdk_eventbridge::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("a", "b", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build();
        Client::from_conf(config)
    }

    fn creates() -> Vec<Rule> {
        vec![
            mock!(Client::create_event_bus).then_output(|| {
                CreateEventBusOutput::builder()
                    .event_bus_arn("arn:aws:events:us-east-1:123456789012:event-bus/b")
                    .build()
            }),
            mock!(Client::create_connection).then_compute_output(|req| {
                CreateConnectionOutput::builder()
                    .connection_arn(format!(
                        "arn:aws:events:us-east-1:123456789012:connection/{}/u-1",
                        req.name().unwrap_or_default()
                    ))
                    .build()
            }),
            mock!(Client::create_api_destination).then_compute_output(|req| {
                CreateApiDestinationOutput::builder()
                    .api_destination_arn(format!(
                        "arn:aws:events:us-east-1:123456789012:api-destination/{}/u-2",
                        req.name().unwrap_or_default()
                    ))
                    .build()
            }),
            mock!(Client::put_rule).then_compute_output(|req| {
                PutRuleOutput::builder()
                    .rule_arn(format!(
                        "arn:aws:events:us-east-1:123456789012:rule/b/{}",
                        req.name().unwrap_or_default()
                    ))
                    .build()
            }),
        ]
    }

    #[tokio::test]
    async fn a_partial_put_targets_failure_is_reported_per_target_with_what_exists() {
        let partial = mock!(Client::put_targets).then_output(|| {
            PutTargetsOutput::builder()
                .failed_entry_count(1)
                .failed_entries(
                    PutTargetsResultEntry::builder()
                        .target_id("destination-1")
                        .error_code("ConcurrentModificationException")
                        .error_message(format!("try again ({LEAK})"))
                        .build(),
                )
                .build()
        });
        let mut rules = creates();
        rules.push(partial);
        let client = mocked(&rules.iter().collect::<Vec<_>>());
        let spec = route().aws_spec();
        assert_eq!(spec.rules.len(), 1);
        let rule = spec.rules[0].name.clone();
        let mut aws = Aws::new(&client);
        let seen = Observed::default();
        let err = aws.apply(&spec, &seen).await.unwrap_err();
        let RouteError::TargetsFailed {
            operation,
            rule: failed_rule,
            failures,
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (*operation, failed_rule.as_str()),
            ("PutTargets", rule.as_str())
        );
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].target_id, "destination-1");
        assert_eq!(
            failures[0].code.as_deref(),
            Some("ConcurrentModificationException")
        );
        assert!(err.is_retryable());
        assert_eq!(err.kind(), ErrorKind::AwsApi);
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("leaked-token-77"), "{shown}");
        // What exists: everything created, and the one target that landed; not the other.
        let held = aws.holding(&seen);
        assert!(held.contains(&"event bus".to_owned()), "{held:?}");
        assert!(held.contains(&format!("rule {rule}")), "{held:?}");
        assert!(
            held.contains(&format!("target {rule}/destination-0")),
            "{held:?}"
        );
        assert!(
            !held.iter().any(|h| h.ends_with("destination-1")),
            "{held:?}"
        );
        assert_eq!(
            held.iter().filter(|h| h.starts_with("connection ")).count(),
            2
        );
        let report = crate::error::OperationError::report(&err);
        assert_eq!(report.operation.as_deref(), Some("PutTargets"));
        assert_eq!(
            report.code.as_deref(),
            Some("ConcurrentModificationException")
        );
    }

    #[tokio::test]
    async fn a_partial_remove_targets_failure_is_reported_per_target() {
        let partial = mock!(Client::remove_targets).then_output(|| {
            RemoveTargetsOutput::builder()
                .failed_entry_count(1)
                .failed_entries(
                    RemoveTargetsResultEntry::builder()
                        .target_id("destination-7")
                        .error_code("InternalException")
                        .error_message("internal")
                        .build(),
                )
                .build()
        });
        let client = mocked(&[&partial]);
        let spec = route().aws_spec();
        let mut aws = Aws::new(&client);
        let ids = vec!["destination-6".to_owned(), "destination-7".to_owned()];
        let err = aws.remove_targets(&spec, "r", &ids).await.unwrap_err();
        assert!(
            matches!(&err, RouteError::TargetsFailed { operation: "RemoveTargets", failures, .. }
                if failures.len() == 1 && failures[0].target_id == "destination-7"),
            "{err:?}"
        );
        // The removal that succeeded is recorded; the failed one is not.
        let names: Vec<_> = aws.writes.iter().map(|w| w.name.as_str()).collect();
        assert_eq!(names, ["r/destination-6"]);
    }

    #[tokio::test]
    async fn limit_exceeded_on_an_entry_is_a_limit_error() {
        let partial = mock!(Client::put_targets).then_output(|| {
            PutTargetsOutput::builder()
                .failed_entry_count(1)
                .failed_entries(
                    PutTargetsResultEntry::builder()
                        .target_id("destination-0")
                        .error_code("LimitExceededException")
                        .error_message("The requested resource exceeds the maximum number allowed.")
                        .build(),
                )
                .build()
        });
        let client = mocked(&[&partial]);
        let spec = route().aws_spec();
        let rule = &spec.rules[0];
        let d = &spec.destinations[0];
        let target = build_target(
            &spec,
            rule,
            d,
            "arn:aws:events:us-east-1:1:api-destination/x/1",
        )
        .unwrap();
        let mut aws = Aws::new(&client);
        let err = aws
            .put_targets(
                &spec,
                &rule.name,
                vec![(d.target_id.clone(), false, target)],
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AwsLimitExceeded);
        assert!(!err.is_retryable());
        assert!(aws.writes.is_empty());
    }
}
