//! The right AWS account and region before anything is written: STS `GetCallerIdentity` on the
//! deployer's credentials, and the EventBridge client's region, compared with the route's
//! `awsAccountId` and `awsRegion`.
//!
//! Genesys sends the organisation's events to the account and region its integration names as
//! soon as the integration is active, so a route whose account is not the credentials' would
//! leave an active integration feeding another account (and then wait in vain for a partner
//! event source in this one). The deployer checks first, and a mismatch is a
//! [`RouteError::Validation`] naming both values (account ids are not secrets; no credential,
//! ARN or caller name is shown).

use tokio::sync::OnceCell;

use super::Route;
use super::aws::call_error;
use super::error::RouteError;
use crate::validate::{ValidationErrors, Violation, ViolationCode};

/// Who the deployer's AWS credentials are, read once per deployer.
#[derive(Debug)]
pub(super) struct Account {
    sts: aws_sdk_sts::Client,
    caller: OnceCell<String>,
}

impl Account {
    pub(super) fn new(sts: aws_sdk_sts::Client) -> Self {
        Self {
            sts,
            caller: OnceCell::new(),
        }
    }

    pub(super) fn sts(&self) -> &aws_sdk_sts::Client {
        &self.sts
    }

    /// The account id of the credentials (`GetCallerIdentity`, cached after the first answer;
    /// a failed call is not cached).
    pub(super) async fn caller(&self) -> Result<&str, RouteError> {
        let account =
            self.caller
                .get_or_try_init(|| async {
                    let out = self.sts.get_caller_identity().send().await.map_err(|e| {
                        call_error("GetCallerIdentity", &e).on("the AWS credentials")
                    })?;
                    match out.account() {
                        Some(a) if !a.is_empty() => Ok(a.to_owned()),
                        _ => Err(RouteError::InvalidResponse {
                            resource: "the AWS credentials".into(),
                            reason: "GetCallerIdentity answered without an account id".into(),
                        }),
                    }
                })
                .await?;
        Ok(account)
    }

    /// Refuses `route` unless its account is the credentials' and its region the client's
    /// (`region`): a validation error naming both values of each mismatch. Reads only.
    pub(super) async fn verify(
        &self,
        route: &Route,
        region: Option<&str>,
    ) -> Result<(), RouteError> {
        let caller = self.caller().await?;
        let violations = mismatches(route, caller, region);
        if violations.is_empty() {
            return Ok(());
        }
        Err(RouteError::Validation(ValidationErrors::new(violations)))
    }
}

/// The violations of a route whose account or region is not the deployer's.
fn mismatches(route: &Route, caller: &str, region: Option<&str>) -> Vec<Violation> {
    let mut out = Vec::new();
    if route.aws_account_id != caller {
        out.push(Violation::new(
            "awsAccountId",
            ViolationCode::AwsAccountMismatch,
            format!(
                "the route is for AWS account {} but the AWS credentials are account {caller}; \
                 nothing was written (use credentials of account {}, or fix awsAccountId)",
                route.aws_account_id, route.aws_account_id
            ),
        ));
    }
    match region {
        Some(r) if r == route.aws_region => {}
        Some(r) => out.push(Violation::new(
            "awsRegion",
            ViolationCode::AwsRegionMismatch,
            format!(
                "the route is for AWS region {} but the AWS client is configured for region {r}; \
                 nothing was written (set AWS_REGION to {}, or fix awsRegion)",
                route.aws_region, route.aws_region
            ),
        )),
        None => out.push(Violation::new(
            "awsRegion",
            ViolationCode::AwsRegionMismatch,
            format!(
                "the route is for AWS region {} but the AWS client has no region configured; \
                 nothing was written",
                route.aws_region
            ),
        )),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::ResolvePayload;

    fn route() -> Route {
        let payload = ResolvePayload::builder("r", "https://hooks.example.com/a")
            .event_types(["v2.users.{id}.presence"])
            .build()
            .unwrap();
        Route::new(
            payload,
            "123456789012",
            "eu-west-1",
            "orders",
            "org",
            "arn:aws:iam::123456789012:role/r",
        )
    }

    #[test]
    fn matching_account_and_region_pass() {
        assert!(mismatches(&route(), "123456789012", Some("eu-west-1")).is_empty());
    }

    #[test]
    fn a_mismatch_names_both_values() {
        let v = mismatches(&route(), "210987654321", Some("us-east-1"));
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].path, "awsAccountId");
        assert_eq!(v[0].code, ViolationCode::AwsAccountMismatch);
        assert!(v[0].message.contains("123456789012"), "{}", v[0].message);
        assert!(v[0].message.contains("210987654321"), "{}", v[0].message);
        assert_eq!(v[1].path, "awsRegion");
        assert!(v[1].message.contains("eu-west-1") && v[1].message.contains("us-east-1"));
        let none = mismatches(&route(), "123456789012", None);
        assert_eq!(none.len(), 1);
        assert_eq!(none[0].code, ViolationCode::AwsRegionMismatch);
    }
}
