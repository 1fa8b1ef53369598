//! A connection's auth as the SDK's `CreateConnection` and `UpdateConnection` parameters.

use aws_sdk_eventbridge::error::BuildError;
use aws_sdk_eventbridge::types::{
    ConnectionAuthorizationType, ConnectionBodyParameter, ConnectionHeaderParameter,
    ConnectionHttpParameters, ConnectionOAuthHttpMethod, ConnectionQueryStringParameter,
    CreateConnectionApiKeyAuthRequestParameters, CreateConnectionAuthRequestParameters,
    CreateConnectionBasicAuthRequestParameters, CreateConnectionOAuthClientRequestParameters,
    CreateConnectionOAuthRequestParameters, UpdateConnectionApiKeyAuthRequestParameters,
    UpdateConnectionAuthRequestParameters, UpdateConnectionBasicAuthRequestParameters,
    UpdateConnectionOAuthClientRequestParameters, UpdateConnectionOAuthRequestParameters,
};

use super::{ConnectionAuth, HeaderParam, OAuthSpec};

/// The connection's `AuthorizationType` for the SDK.
pub(in crate::route) fn authorization_type(auth: &ConnectionAuth) -> ConnectionAuthorizationType {
    match auth {
        ConnectionAuth::ApiKey { .. } => ConnectionAuthorizationType::ApiKey,
        ConnectionAuth::Basic { .. } => ConnectionAuthorizationType::Basic,
        ConnectionAuth::OAuth(_) => ConnectionAuthorizationType::OauthClientCredentials,
    }
}

fn header_parameters(ps: &[HeaderParam]) -> Vec<ConnectionHeaderParameter> {
    ps.iter()
        .map(|h| {
            ConnectionHeaderParameter::builder()
                .key(&h.name)
                .value(&h.value)
                .is_value_secret(h.secret)
                .build()
        })
        .collect()
}

fn oauth_http(o: &OAuthSpec) -> ConnectionHttpParameters {
    ConnectionHttpParameters::builder()
        .set_header_parameters(Some(header_parameters(&o.headers)))
        .set_query_string_parameters(Some(
            o.query
                .iter()
                .map(|p| {
                    ConnectionQueryStringParameter::builder()
                        .key(&p.name)
                        .value(&p.value)
                        .is_value_secret(p.secret)
                        .build()
                })
                .collect(),
        ))
        .set_body_parameters(Some(
            o.body
                .iter()
                .map(|p| {
                    ConnectionBodyParameter::builder()
                        .key(&p.name)
                        .value(&p.value)
                        .is_value_secret(p.secret)
                        .build()
                })
                .collect(),
        ))
        .build()
}

/// The invocation header parameters of a connection.
pub(in crate::route) fn invocation_parameters(headers: &[HeaderParam]) -> ConnectionHttpParameters {
    ConnectionHttpParameters::builder()
        .set_header_parameters(Some(header_parameters(headers)))
        .build()
}

/// `CreateConnection`'s auth parameters.
pub(in crate::route) fn create_parameters(
    auth: &ConnectionAuth,
    headers: &[HeaderParam],
) -> Result<CreateConnectionAuthRequestParameters, BuildError> {
    let b = CreateConnectionAuthRequestParameters::builder()
        .invocation_http_parameters(invocation_parameters(headers));
    Ok(match auth {
        ConnectionAuth::ApiKey { name, value } => b
            .api_key_auth_parameters(
                CreateConnectionApiKeyAuthRequestParameters::builder()
                    .api_key_name(name)
                    .api_key_value(value)
                    .build()?,
            )
            .build(),
        ConnectionAuth::Basic { username, password } => b
            .basic_auth_parameters(
                CreateConnectionBasicAuthRequestParameters::builder()
                    .username(username)
                    .password(password)
                    .build()?,
            )
            .build(),
        ConnectionAuth::OAuth(o) => b
            .o_auth_parameters(
                CreateConnectionOAuthRequestParameters::builder()
                    .client_parameters(
                        CreateConnectionOAuthClientRequestParameters::builder()
                            .client_id(&o.client_id)
                            .client_secret(&o.client_secret)
                            .build()?,
                    )
                    .authorization_endpoint(&o.authorization_endpoint)
                    .http_method(ConnectionOAuthHttpMethod::from(o.http_method.as_str()))
                    .o_auth_http_parameters(oauth_http(o))
                    .build()?,
            )
            .build(),
    })
}

/// `UpdateConnection`'s auth parameters: the whole auth, secrets included (the update is made
/// because the digest of what the connection holds differs).
pub(in crate::route) fn update_parameters(
    auth: &ConnectionAuth,
    headers: &[HeaderParam],
) -> UpdateConnectionAuthRequestParameters {
    let b = UpdateConnectionAuthRequestParameters::builder()
        .invocation_http_parameters(invocation_parameters(headers));
    match auth {
        ConnectionAuth::ApiKey { name, value } => b
            .api_key_auth_parameters(
                UpdateConnectionApiKeyAuthRequestParameters::builder()
                    .api_key_name(name)
                    .api_key_value(value)
                    .build(),
            )
            .build(),
        ConnectionAuth::Basic { username, password } => b
            .basic_auth_parameters(
                UpdateConnectionBasicAuthRequestParameters::builder()
                    .username(username)
                    .password(password)
                    .build(),
            )
            .build(),
        ConnectionAuth::OAuth(o) => b
            .o_auth_parameters(
                UpdateConnectionOAuthRequestParameters::builder()
                    .client_parameters(
                        UpdateConnectionOAuthClientRequestParameters::builder()
                            .client_id(&o.client_id)
                            .client_secret(&o.client_secret)
                            .build(),
                    )
                    .authorization_endpoint(&o.authorization_endpoint)
                    .http_method(ConnectionOAuthHttpMethod::from(o.http_method.as_str()))
                    .o_auth_http_parameters(oauth_http(o))
                    .build(),
            )
            .build(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::oauth_spec;
    use super::*;
    use crate::document::OAuthClientCredentials;

    fn param(name: &str, value: &str) -> HeaderParam {
        HeaderParam {
            name: name.to_owned(),
            value: value.to_owned(),
            secret: false,
        }
    }

    #[test]
    fn sdk_parameters_carry_each_kind() {
        let headers = vec![param("X-Tenant", "t1")];
        let basic = ConnectionAuth::Basic {
            username: "u".into(),
            password: "p".into(),
        };
        let p = create_parameters(&basic, &headers).unwrap();
        assert_eq!(
            p.basic_auth_parameters()
                .map(CreateConnectionBasicAuthRequestParameters::username),
            Some("u")
        );
        assert!(p.api_key_auth_parameters().is_none());
        assert_eq!(
            authorization_type(&basic),
            ConnectionAuthorizationType::Basic
        );
        let oauth = ConnectionAuth::OAuth(oauth_spec(
            &OAuthClientCredentials::new("https://a.example/t", "GET", "c", "s").scope("x"),
        ));
        let p = update_parameters(&oauth, &headers);
        let o = p.o_auth_parameters().unwrap();
        assert_eq!(o.http_method(), Some(&ConnectionOAuthHttpMethod::Get));
        assert_eq!(
            o.o_auth_http_parameters().unwrap().body_parameters()[0].key(),
            Some("scope")
        );
    }
}
