//! IAM on a moto server that enforces it after its first requests
//! (`INITIAL_NO_AUTH_ACTION_COUNT`): the identities the credential tests
//! build, as a user's AWS account would have them.

use super::Moto;

/// A policy document allowing `actions` (a JSON string or array) on every resource.
pub fn allow(actions: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":{actions},"Resource":"*"}}]}}"#
    )
}

/// A role trust policy: `principal` (an ARN) may assume the role when it
/// gives `external_id`.
pub fn trust_with_external_id(principal: &str, external_id: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{external_id}"}}}}}}]}}"#
    )
}

/// A user made by [`user_with_key`]: its ARN and access key.
pub struct User {
    /// ARN of the user.
    pub arn: String,
    /// Access key id.
    pub key_id: String,
    /// Secret access key.
    pub secret: String,
}

/// Creates user `name` with the inline policy `policy` and an access key
/// (three IAM requests).
pub async fn user_with_key(iam: &aws_sdk_iam::Client, name: &str, policy: &str) -> User {
    let user = iam
        .create_user()
        .user_name(name)
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    iam.put_user_policy()
        .user_name(name)
        .policy_name(name)
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let key = iam
        .create_access_key()
        .user_name(name)
        .send()
        .await
        .unwrap()
        .access_key
        .unwrap();
    User {
        arn: user.arn().to_string(),
        key_id: key.access_key_id().to_string(),
        secret: key.secret_access_key().to_string(),
    }
}

/// Within moto's first three (unauthenticated) requests an admin allowed
/// everything; as the admin, the agent's user `loglift`, allowed only to
/// assume roles. Returns the admin's SDK configuration and the agent's user.
pub async fn admin_and_agent(moto: &Moto) -> (aws_config::SdkConfig, User) {
    let boot = aws_sdk_iam::Client::new(&moto.sdk().await);
    let admin = user_with_key(&boot, "admin", &allow(r#""*""#)).await;
    let admin = moto.sdk_as(&admin.key_id, &admin.secret).await;
    let iam = aws_sdk_iam::Client::new(&admin);
    let agent = user_with_key(&iam, "loglift", &allow(r#""sts:AssumeRole""#)).await;
    (admin, agent)
}
