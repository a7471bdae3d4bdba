//! Actor and target entities of a CloudTrail event, as Elastic's pipeline
//! maps them (its "actor/target mapping"): `actor.entity.id`,
//! `target.entity.id`, their typed variants (`user.entity.id`,
//! `service.target.entity.id`, …) and `related.entity`.
//!
//! The actor is who acted (the caller's ARN; for `AssumeRole` the service,
//! role or user that assumed it). Targets are what the call acted on, picked
//! per service and API from the request or response. `related.entity` holds
//! every identifier of either, plus resource ARNs and other IDs the call
//! touched. Values are sorted and deduplicated.

use std::borrow::Cow;

use super::tree::Node;
use crate::event::{Event, Value};

/// What the mapping reads from one event.
#[derive(Default)]
pub(crate) struct Facts<'r, 'a> {
    pub(crate) identity_type: Option<&'r str>,
    pub(crate) arn: Option<&'r Cow<'a, str>>,
    pub(crate) invoked_by: Option<&'r Cow<'a, str>>,
    pub(crate) access_key_id: Option<&'r Cow<'a, str>>,
    pub(crate) user_name: Option<&'r Cow<'a, str>>,
    pub(crate) issuer_arn: Option<&'r Cow<'a, str>>,
    pub(crate) issuer_user_name: Option<&'r Cow<'a, str>>,
    pub(crate) on_behalf_user_id: Option<&'r Cow<'a, str>>,
    pub(crate) identity_store_arn: Option<&'r Cow<'a, str>>,
    pub(crate) source_identity: Option<&'r Cow<'a, str>>,
    pub(crate) recipient_account_id: Option<&'r Cow<'a, str>>,
    pub(crate) event_source: Option<&'r str>,
    pub(crate) event_name: Option<&'r str>,
    pub(crate) request: Option<&'r Node<'a>>,
    pub(crate) response: Option<&'r Node<'a>>,
    pub(crate) additional: Option<&'r Node<'a>>,
    pub(crate) resources: Option<&'r Node<'a>>,
}

/// A growing set of entity identifiers.
#[derive(Default)]
struct Set<'a>(Vec<Cow<'a, str>>);

impl<'a> Set<'a> {
    fn add(&mut self, value: Option<Cow<'a, str>>) {
        if let Some(v) = value {
            if !v.is_empty() {
                self.0.push(v);
            }
        }
    }

    fn add_str(&mut self, value: Option<&Cow<'a, str>>) {
        self.add(value.cloned());
    }

    /// Adds the scalar at `path` of `node`.
    fn add_at(&mut self, node: Option<&Node<'a>>, path: &str) {
        self.add(node.and_then(|n| n.get(path)).and_then(Node::text));
    }

    fn add_paths(&mut self, node: Option<&Node<'a>>, paths: &[&str]) {
        for path in paths {
            self.add_at(node, path);
        }
    }

    /// Adds `key` of every item of the array at `path`.
    fn add_each(&mut self, node: Option<&Node<'a>>, path: &str, keys: &[&str]) {
        for item in items(node, path) {
            for key in keys {
                self.add(item.get(key).and_then(Node::text));
            }
        }
    }

    /// Adds every scalar item of the array at `path`.
    fn add_list(&mut self, node: Option<&Node<'a>>, path: &str) {
        for item in items(node, path) {
            self.add(item.text());
        }
    }

    fn finish(mut self) -> Vec<Cow<'a, str>> {
        self.0.sort_unstable();
        self.0.dedup();
        self.0
    }
}

fn items<'r, 'a>(node: Option<&'r Node<'a>>, path: &str) -> &'r [Node<'a>] {
    node.and_then(|n| n.get(path))
        .map(Node::items)
        .unwrap_or_default()
}

struct Enrich<'r, 'a> {
    facts: &'r Facts<'r, 'a>,
    related: Set<'a>,
    target: Set<'a>,
    actor: Option<Cow<'a, str>>,
}

/// The entities of one event.
pub(crate) struct Entities<'a> {
    /// The actor and the typed field it belongs in (`user.entity.id`, …).
    pub(crate) actor: Option<(Cow<'a, str>, &'static str)>,
    /// Every target, sorted.
    pub(crate) targets: Vec<Cow<'a, str>>,
    /// Targets by class: [`USER`], [`HOST`], [`SERVICE`], [`OTHER`].
    typed_targets: [Vec<Cow<'a, str>>; 4],
    /// Every related entity (targets included), sorted.
    pub(crate) related: Vec<Cow<'a, str>>,
}

/// Target classes and their fields.
pub(crate) const USER: usize = 0;
pub(crate) const HOST: usize = 1;
pub(crate) const SERVICE: usize = 2;
pub(crate) const OTHER: usize = 3;
const TARGET_FIELDS: [&str; 4] = [
    "user.target.entity.id",
    "host.target.entity.id",
    "service.target.entity.id",
    "entity.target.id",
];

impl<'a> Entities<'a> {
    /// Maps the entities of the event described by `facts`.
    pub(crate) fn map(facts: &Facts<'_, 'a>) -> Self {
        let mut e = Enrich {
            facts,
            related: Set(Vec::with_capacity(16)),
            target: Set::default(),
            actor: facts.arn.or(facts.on_behalf_user_id).cloned(),
        };
        for value in [
            facts.access_key_id,
            facts.arn,
            facts.user_name,
            facts.issuer_arn,
            facts.issuer_user_name,
        ] {
            e.related.add_str(value);
        }
        if facts.identity_type == Some("IdentityCenterUser") {
            e.related.add_str(facts.identity_store_arn);
        }
        for resource in facts.resources.map(Node::items).unwrap_or_default() {
            e.related.add(resource.get("ARN").and_then(Node::text));
        }
        e.by_service();

        let Enrich {
            mut related,
            target,
            actor,
            ..
        } = e;
        let targets = target.finish();
        let mut typed_targets: [Vec<Cow<'a, str>>; 4] = Default::default();
        for target in &targets {
            typed_targets[classify_target(target)].push(target.clone());
        }
        related.0.extend(targets.iter().cloned());
        let actor = actor.filter(|a| !a.is_empty()).map(|a| {
            let key = classify_actor(&a, facts.identity_type);
            (a, key)
        });
        Entities {
            actor,
            targets,
            typed_targets,
            related: related.finish(),
        }
    }

    /// Adds the typed target field of `class` (one of [`USER`], [`HOST`],
    /// [`SERVICE`], [`OTHER`]) when there are targets of that class.
    pub(crate) fn push_targets(&mut self, event: &mut Event<'a>, class: usize) {
        if let Some(values) = self.typed_targets.get_mut(class).filter(|v| !v.is_empty()) {
            let values = std::mem::take(values);
            event.push(
                TARGET_FIELDS[class],
                Value::List(values.into_iter().map(Value::Str).collect()),
            );
        }
    }
}

impl<'a> Enrich<'_, 'a> {
    fn by_service(&mut self) {
        let f = self.facts;
        let (Some(source), name) = (f.event_source, f.event_name.unwrap_or_default()) else {
            return;
        };
        let (req, resp) = (f.request, f.response);
        match (source, name) {
            ("cloudformation.amazonaws.com", _) => match name {
                "CreateStackSet" => self.target.add_at(resp, "stackSetId"),
                "CreateStack" => self.target.add_at(resp, "stackId"),
                _ => {}
            },
            ("cloudtrail.amazonaws.com", _) => {
                self.related.add_paths(req, &["name", "s3BucketName"]);
                self.related.add_paths(
                    resp,
                    &[
                        "cloudWatchLogsLogGroupArn",
                        "cloudWatchLogsRoleArn",
                        "kmsKeyId",
                        "snsTopicARN",
                        "trailARN",
                        "name",
                    ],
                );
                match name {
                    "DeleteTrail" | "StopLogging" => self.target.add_at(req, "name"),
                    "DescribeTrails" => self.target.add_str(f.recipient_account_id),
                    _ => {}
                }
            }
            ("config.amazonaws.com", _) => {
                self.related.add_at(req, "configurationRecorderName");
                if matches!(
                    name,
                    "StopConfigurationRecorder" | "StartConfigurationRecorder"
                ) {
                    self.target.add_at(req, "configurationRecorderName");
                }
            }
            ("ec2-instance-connect.amazonaws.com", "SendSSHPublicKey")
            | ("ec2-instance-connect.amazonaws.com", "SendSerialConsoleSSHPublicKey") => {
                self.target.add_at(req, "instanceId")
            }
            ("ec2.amazonaws.com", _) => self.ec2(name),
            ("elasticfilesystem.amazonaws.com", _) => match name {
                "DeleteFileSystem" => self.target.add_at(req, "fileSystemId"),
                "DeleteMountTarget" => self.target.add_at(req, "mountTargetId"),
                _ => {}
            },
            ("events.amazonaws.com", "DeleteRule") => self.target.add_at(req, "name"),
            ("guardduty.amazonaws.com", _) => {
                self.related.add_at(req, "detectorId");
                self.related.add_at(resp, "detectorId");
                match name {
                    "CreateDetector" => self.target.add_at(resp, "detectorId"),
                    "DeleteDetector" => self.target.add_at(req, "detectorId"),
                    _ => {}
                }
            }
            ("iam.amazonaws.com", _) => self.iam(name),
            ("kms.amazonaws.com", _) => {
                self.related.add_at(req, "keyId");
                self.related
                    .add_paths(resp, &["keyId", "keyMetadata.arn", "keyMetadata.keyId"]);
                if matches!(name, "DisableKey" | "ScheduleKeyDeletion") {
                    self.resource_targets();
                }
            }
            ("lambda.amazonaws.com", _) => {
                self.related.add_at(req, "functionName");
                self.related
                    .add_paths(resp, &["functionArn", "functionName", "role"]);
                self.related.add_list(resp, "vpcConfig.securityGroupIds");
                self.related.add_list(resp, "vpcConfig.subnetIds");
                // Lambda API names carry a version (`AddPermission20150331v2`).
                if name.contains("AddPermission") {
                    self.target.add_at(req, "functionName");
                } else if name.contains("ListFunctions") {
                    self.target.add_str(f.recipient_account_id);
                }
            }
            ("logs.amazonaws.com", _) => match name {
                "DeleteLogGroup" => self.target.add_at(req, "logGroupName"),
                "DeleteLogStream" => self.target.add_at(req, "logStreamName"),
                _ => {}
            },
            ("monitoring.amazonaws.com", "DeleteAlarms") => self.target.add_list(req, "alarmNames"),
            ("rds.amazonaws.com", _) => self.rds(name),
            ("rolesanywhere.amazonaws.com", "CreateTrustAnchor") => {
                self.target.add_at(resp, "trustAnchor.trustAnchorArn")
            }
            ("route53resolver.amazonaws.com", "DeleteResolverQueryLogConfig") => {
                self.target.add_at(resp, "resolverQueryLogConfig.arn")
            }
            ("s3.amazonaws.com", _) => {
                self.related.add_at(req, "bucketName");
                match name {
                    "CopyObject"
                    | "PutBucketLogging"
                    | "PutBucketVersioning"
                    | "PutObject"
                    | "GetBucketPolicy"
                    | "ListObjects"
                    | "HeadObject"
                    | "GetObject"
                    | "DeleteObject"
                    | "DeleteBucket" => self.resource_targets(),
                    "PutBucketReplication" => {
                        self.resource_targets();
                        self.target
                            .add_at(req, "ReplicationConfiguration.Rule.Destination.Bucket");
                    }
                    "ListBuckets" => self.target.add_str(f.recipient_account_id),
                    _ => {}
                }
            }
            ("secretsmanager.amazonaws.com", _) => match name {
                "BatchGetSecretValue" => self.target.add_list(req, "secretIdList"),
                "GetSecretValue" => self.target.add_at(req, "secretId"),
                _ => {}
            },
            ("signin.amazonaws.com", "ConsoleLogin") => self.target.add_str(f.recipient_account_id),
            ("ssm.amazonaws.com", _) => self.ssm(name),
            ("sts.amazonaws.com", _) => {
                self.related.add_at(req, "roleArn");
                self.related.add_str(f.source_identity);
                self.related.add_at(f.additional, "MFAIdentifier");
                self.related.add_at(resp, "assumedRoleUser.arn");
                self.related.add_at(req, "roleSessionName");
                self.related.add_at(resp, "accessKeyId");
                match name {
                    "AssumeRole" => {
                        self.actor = match f.identity_type {
                            Some("AWSService") => f.invoked_by.cloned(),
                            Some("AssumedRole") => f.issuer_arn.cloned(),
                            _ => f.arn.cloned(),
                        };
                        self.target.add_at(req, "roleArn");
                    }
                    "GetCallerIdentity" => {
                        self.target.add_str(f.recipient_account_id);
                        self.actor = f.arn.cloned();
                    }
                    _ => {}
                }
            }
            ("wafv2.amazonaws.com", _) => {
                self.related.add_at(req, "id");
                self.related.add_at(resp, "summary");
                if matches!(name, "DeleteRuleGroup" | "DeleteWebACL") {
                    self.target.add_at(req, "id");
                }
            }
            ("sns.amazonaws.com", _) => match name {
                "CreateTopic" => self.target.add_at(resp, "topicArn"),
                "Subscribe" | "Publish" => self.target.add_at(req, "topicArn"),
                _ => {}
            },
            ("bedrock.amazonaws.com", "Converse") => self.target.add_at(req, "modelId"),
            ("elasticloadbalancing.amazonaws.com", "DescribeLoadBalancers") => {
                self.target.add_str(f.recipient_account_id)
            }
            ("dynamodb.amazonaws.com", "ListTables") => self.target.add_str(f.recipient_account_id),
            _ => {}
        }
    }

    /// The ARNs of the event's `resources` as targets.
    fn resource_targets(&mut self) {
        for resource in self.facts.resources.map(Node::items).unwrap_or_default() {
            self.target.add(resource.get("ARN").and_then(Node::text));
        }
    }

    fn ec2(&mut self, name: &str) {
        let f = self.facts;
        let (req, resp) = (f.request, f.response);
        self.related.add_paths(
            req,
            &[
                "groupId",
                "groupName",
                "roleName",
                "subnetId",
                "volumeId",
                "networkInterfaceId",
                "vpcId",
                "snapshotId",
            ],
        );
        self.related.add_paths(
            resp,
            &[
                "groupId",
                "reservationId",
                "vpc.vpcId",
                "vpc.dhcpOptionsId",
                "snapshotId",
                "volumeId",
            ],
        );
        for rule in items(resp, "securityGroupRuleSet.items") {
            self.related.add_paths(
                Some(rule),
                &[
                    "groupId",
                    "referencedGroupInfo.groupId",
                    "securityGroupRuleId",
                ],
            );
        }
        self.related.add_each(resp, "groupSet.items", &["groupId"]);
        self.related.add_each(req, "groupSet.items", &["groupId"]);
        self.related
            .add_each(req, "instancesSet.items", &["instanceId"]);
        for instance in items(resp, "instancesSet.items") {
            self.related.add_paths(
                Some(instance),
                &[
                    "subnetId",
                    "vpcId",
                    "instanceId",
                    "imageId",
                    "iamInstanceProfile.arn",
                ],
            );
            for network in items(Some(instance), "networkInterfaceSet.items") {
                self.related
                    .add_paths(Some(network), &["networkInterfaceId", "vpcId", "subnetId"]);
                self.related
                    .add_each(Some(network), "groupSet.items", &["groupId"]);
            }
        }
        self.related.add_each(
            req,
            "revokedSecurityGroupRuleSet.items",
            &["securityGroupRuleId", "groupId"],
        );
        match name {
            "AuthorizeSecurityGroupIngress" | "AuthorizeSecurityGroupEgress" => {
                self.target.add_at(req, "groupId");
                self.target.add_each(resp, "securityGroupRuleSet.items", &["securityGroupRuleId"]);
            }
            "CreateTrafficMirrorFilter" => self.target.add_at(resp, "CreateTrafficMirrorFilterResponse.trafficMirrorFilter.trafficMirrorFilterId"),
            "CreateTrafficMirrorFilterRule" => {
                self.target.add_at(resp, "CreateTrafficMirrorFilterRuleResponse.trafficMirrorFilterRule.trafficMirrorFilterRuleId")
            }
            "CreateTrafficMirrorSession" => self.target.add_at(resp, "CreateTrafficMirrorSessionResponse.trafficMirrorSession.trafficMirrorSessionId"),
            "CreateTrafficMirrorTarget" => self.target.add_at(resp, "CreateTrafficMirrorTargetResponse.trafficMirrorTarget.trafficMirrorTargetId"),
            "DeleteFlowLogs" => self.target.add_at(req, "DeleteFlowLogsRequest.FlowLogId.content"),
            "DeleteNetworkAcl" => self.target.add_at(req, "networkAclId"),
            "DeleteNetworkAclEntry" => {
                self.target.add_at(req, "networkAclId");
                self.target.add_at(req, "ruleNumber");
            }
            "GetPasswordData" => self.target.add_at(req, "instanceId"),
            "ModifyImageAttribute" => self.target.add_at(req, "imageId"),
            "ModifySnapshotAttribute" => self.target.add_at(req, "snapshotId"),
            "DescribeSecurityGroups" | "DescribeNetworkInterfaces" | "DescribeRegions" | "DescribeVpcs" | "DescribeNetworkAcls" | "DescribeVolumes" => {
                self.target.add_str(f.recipient_account_id)
            }
            _ => {}
        }
    }

    fn iam(&mut self, name: &str) {
        let f = self.facts;
        let (req, resp) = (f.request, f.response);
        self.related.add_paths(
            req,
            &[
                "userName",
                "serialNumber",
                "accessKeyId",
                "policyArn",
                "roleName",
                "policyName",
            ],
        );
        self.related.add_paths(
            resp,
            &[
                "accessKey.userName",
                "accessKey.accessKeyId",
                "user.arn",
                "user.userId",
                "user.userName",
                "userId",
                "role.arn",
                "serialNumber",
            ],
        );
        match name {
            "AttachGroupPolicy" => self.target.add_at(req, "groupName"),
            "AttachRolePolicy" | "ListAttachedRolePolicies" | "UpdateAssumeRolePolicy" => {
                self.target.add_at(req, "roleName")
            }
            "AttachUserPolicy" => self.target.add_paths(req, &["policyArn", "userName"]),
            "CreateAccessKey" => {
                self.target.add_at(resp, "accessKey.accessKeyId");
                self.target.add_at(req, "userName");
            }
            "CreateUser" | "DeactivateMFADevice" => self.target.add_at(req, "userName"),
            "DeleteVirtualMFADevice" => self.target.add_at(req, "serialNumber"),
            "GetPolicy" => self.target.add_at(req, "policyArn"),
            "CreatePolicy" => self.target.add_at(resp, "policy.arn"),
            "ListRoles" | "ListUsers" => self.target.add_str(f.recipient_account_id),
            _ => {}
        }
    }

    fn rds(&mut self, name: &str) {
        let f = self.facts;
        let (req, resp) = (f.request, f.response);
        self.related
            .add_paths(req, &["dBInstanceIdentifier", "dBInstanceArn"]);
        self.related.add_paths(
            resp,
            &[
                "dBInstanceIdentifier",
                "dbInstanceArn",
                "dBSubnetGroup.vpcId",
            ],
        );
        self.related
            .add_each(resp, "dBSubnetGroup.subnets", &["subnetIdentifier"]);
        self.related
            .add_each(resp, "vpcSecurityGroups", &["vpcSecurityGroupId"]);
        match name {
            "DeleteDBCluster" | "ModifyDBCluster" | "StopDBCluster" => {
                self.target.add_at(resp, "dBClusterArn")
            }
            "DeleteDBInstance"
            | "ModifyDBInstance"
            | "RestoreDBInstanceFromDBSnapshot"
            | "RestoreDBInstanceFromS3"
            | "StopDBInstance" => self.target.add_at(resp, "dBInstanceArn"),
            "DeleteGlobalCluster" => self.target.add_at(resp, "globalClusterArn"),
            "ModifyDBClusterSnapshotAttribute" => {
                self.target.add_at(resp, "dBClusterSnapshotIdentifier")
            }
            "ModifyDBSnapshotAttribute" => self.target.add_at(resp, "dBSnapshotIdentifier"),
            "DescribeDBInstances" => self.target.add_str(f.recipient_account_id),
            _ => {}
        }
    }

    fn ssm(&mut self, name: &str) {
        let f = self.facts;
        let req = f.request;
        match name {
            "GetParameter" | "GetParameters" | "CreateControlChannel" | "OpenControlChannel" => {
                self.resource_targets()
            }
            "StartSession" => self.target.add_at(req, "target"),
            "CreateDocument" => self.target.add_at(req, "name"),
            "TerminateSession" | "OpenDataChannel" => self.target.add_at(req, "sessionId"),
            "SendCommand" => {
                let mut ids: Vec<Cow<'a, str>> = items(req, "instanceIds")
                    .iter()
                    .filter_map(Node::text)
                    .collect();
                if ids.is_empty() {
                    for target in items(req, "targets") {
                        ids.extend(items(Some(target), "values").iter().filter_map(Node::text));
                    }
                }
                if ids.len() == 1 && ids[0] == "*" {
                    // Every instance: the whole account is the target.
                    ids = f.recipient_account_id.cloned().into_iter().collect();
                }
                for id in ids {
                    self.target.add(Some(id));
                }
            }
            "ListInstanceAssociations" => self.target.add_str(f.recipient_account_id),
            _ => {}
        }
    }
}

/// ARN resource types of user-like targets.
const USER_RESOURCE_TYPES: &[&str] = &[
    "assumed-role",
    "federated-user",
    "instance-profile",
    "mfa",
    "role",
    "serialNumber",
    "user",
];
/// ARN resource types of hosts.
const HOST_RESOURCE_TYPES: &[&str] = &["instance"];
/// ARN resource types of service resources.
const SERVICE_RESOURCE_TYPES: &[&str] = &[
    "alarm",
    "cluster",
    "configuration-recorder",
    "db",
    "detector",
    "dhcp-options",
    "document",
    "file-system",
    "function",
    "global-cluster",
    "group",
    "ipset",
    "key",
    "loadbalancer",
    "log-group",
    "log-stream",
    "model",
    "mount-target",
    "network-acl",
    "network-interface",
    "parameter",
    "policy",
    "resolver-query-log-config",
    "rule",
    "rulegroup",
    "secret",
    "security-group",
    "session",
    "stack",
    "stack-set",
    "subnet",
    "table",
    "topic",
    "trail",
    "trust-anchor",
    "vpc",
    "webacl",
];
/// ID prefixes of hosts.
const HOST_ID_PREFIXES: &[&str] = &["i-"];
/// ID prefixes of service resources.
const SERVICE_ID_PREFIXES: &[&str] = &[
    "sg-", "sgr-", "eni-", "vpc-", "subnet-", "acl-", "rtb-", "igw-", "nat-", "vpce-", "tgw-",
    "pcx-",
];

/// The ARN's service (`iam`) and resource type (`role` in `role/name`), when it has six parts.
fn arn_parts(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    let service = parts.next()?;
    let _region = parts.next()?;
    let _account = parts.next()?;
    let resource = parts.next()?;
    let kind = match resource.find('/') {
        Some(i) if i > 0 => &resource[..i],
        _ => resource,
    };
    Some((service, kind))
}

fn is_service_linked_role(id: &str) -> bool {
    id.contains("/AWSServiceRoleFor") || id.contains("/aws-service-role/")
}

/// The class of a target: [`USER`], [`HOST`], [`SERVICE`] or [`OTHER`].
fn classify_target(t: &str) -> usize {
    if t.starts_with("arn:") {
        match arn_parts(t) {
            Some(_) if is_service_linked_role(t) => SERVICE,
            Some((_, kind)) if USER_RESOURCE_TYPES.contains(&kind) => USER,
            Some((_, kind)) if HOST_RESOURCE_TYPES.contains(&kind) => HOST,
            Some((_, kind)) if SERVICE_RESOURCE_TYPES.contains(&kind) => SERVICE,
            Some(("s3", _)) => SERVICE,
            _ => OTHER,
        }
    } else if t.len() == 20 && t.starts_with("AKIA") {
        USER
    } else if HOST_ID_PREFIXES.iter().any(|p| t.starts_with(p)) {
        HOST
    } else if SERVICE_ID_PREFIXES.iter().any(|p| t.starts_with(p)) {
        SERVICE
    } else {
        OTHER
    }
}

/// The typed field for the actor: `service.entity.id`, `user.entity.id`,
/// `host.entity.id` or, failing those, `entity.id`.
fn classify_actor(actor: &str, identity_type: Option<&str>) -> &'static str {
    if identity_type == Some("AWSService") || is_service_linked_role(actor) {
        return "service.entity.id";
    }
    if matches!(identity_type, Some("AssumedRole" | "IAMUser" | "Root")) {
        return "user.entity.id";
    }
    if actor.starts_with("arn:") {
        match arn_parts(actor) {
            Some((_, "user" | "role" | "assumed-role" | "federated-user")) => {
                return "user.entity.id"
            }
            Some((_, "instance")) => return "host.entity.id",
            _ => {}
        }
    }
    if actor.starts_with("i-") {
        return "host.entity.id";
    }
    "entity.id"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_parts_split_service_and_resource_type() {
        assert_eq!(arn_parts("arn:aws:iam::123:role/x"), Some(("iam", "role")));
        assert_eq!(arn_parts("arn:aws:s3:::bucket/key"), Some(("s3", "bucket")));
        assert_eq!(
            arn_parts("arn:aws:logs:us-east-1:1:log-group:g:*"),
            Some(("logs", "log-group"))
        );
        assert_eq!(arn_parts("arn:aws:iam::123"), None);
    }

    #[test]
    fn actors_are_typed_by_identity_then_by_arn() {
        assert_eq!(
            classify_actor("ec2.amazonaws.com", Some("AWSService")),
            "service.entity.id"
        );
        assert_eq!(
            classify_actor(
                "arn:aws:iam::1:role/aws-service-role/x/AWSServiceRoleForX",
                Some("AssumedRole")
            ),
            "service.entity.id"
        );
        assert_eq!(
            classify_actor("arn:aws:iam::1:user/bob", Some("IAMUser")),
            "user.entity.id"
        );
        assert_eq!(
            classify_actor("arn:aws:sts::1:federated-user/bob", Some("FederatedUser")),
            "user.entity.id"
        );
        assert_eq!(
            classify_actor("arn:aws:ec2:r:1:instance/i-1", None),
            "host.entity.id"
        );
        assert_eq!(classify_actor("i-0abc", None), "host.entity.id");
        assert_eq!(
            classify_actor("d-1234/user-id", Some("IdentityCenterUser")),
            "entity.id"
        );
    }

    #[test]
    fn targets_are_typed_by_arn_resource_or_id_prefix() {
        assert_eq!(
            classify_target("arn:aws:iam::aws:policy/AdministratorAccess"),
            SERVICE
        );
        assert_eq!(classify_target("arn:aws:iam::1:role/r"), USER);
        assert_eq!(
            classify_target("arn:aws:iam::1:role/aws-service-role/x/AWSServiceRoleForX"),
            SERVICE
        );
        assert_eq!(classify_target("arn:aws:s3:::bucket"), SERVICE);
        assert_eq!(classify_target("arn:aws:ec2:r:1:instance/i-1"), HOST);
        assert_eq!(classify_target("arn:aws:foo:r:1:widget/w"), OTHER);
        assert_eq!(classify_target("AKIAIOSFODNN7EXAMPLE"), USER);
        assert_eq!(classify_target("i-0123"), HOST);
        assert_eq!(classify_target("sg-1"), SERVICE);
        assert_eq!(classify_target("someone"), OTHER);
        assert_eq!(classify_target("123456789012"), OTHER);
    }
}
