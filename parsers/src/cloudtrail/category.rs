//! ECS categorization of CloudTrail events by `eventName`, from the table in
//! Elastic's CloudTrail pipeline.
//!
//! Events not in the table get `event.type: [info]` and no category. Where
//! the table gives no type (`Converse`, `Publish`, `SendCommand`), the event
//! has none. The lists are kept as JSON text, ready to be written.

/// `(eventName, event.category, event.type)`, sorted by name; `""` is no list.
static TABLE: &[(&str, &str, &str)] = &[
    ("AddUserToGroup", r#"["iam"]"#, r#"["group","change"]"#),
    ("AssumeRole", r#"["authentication"]"#, r#"["info"]"#),
    ("AttachGroupPolicy", r#"["iam"]"#, r#"["group","change"]"#),
    ("AttachRolePolicy", r#"["iam"]"#, r#"["change"]"#),
    ("AttachUserPolicy", r#"["iam"]"#, r#"["user","change"]"#),
    (
        "AuthorizeSecurityGroupIngress",
        r#"["network"]"#,
        r#"["access"]"#,
    ),
    ("ChangePassword", r#"["iam"]"#, r#"["user","change"]"#),
    ("ConsoleLogin", r#"["authentication"]"#, r#"["info"]"#),
    ("Converse", r#"["api"]"#, r#""#),
    ("CreateAccessKey", r#"["iam"]"#, r#"["user","change"]"#),
    ("CreateBucket", r#"["file"]"#, r#"["creation"]"#),
    ("CreateControlChannel", r#"["session"]"#, r#"["start"]"#),
    ("CreateDataChannel", r#"["session"]"#, r#"["start"]"#),
    ("CreateDocument", r#"["file"]"#, r#"["creation"]"#),
    ("CreateGroup", r#"["iam"]"#, r#"["group","creation"]"#),
    ("CreateKeyPair", r#"["iam"]"#, r#"["admin","creation"]"#),
    ("CreatePolicy", r#"["iam"]"#, r#"["creation"]"#),
    ("CreateTopic", r#"["configuration"]"#, r#"["creation"]"#),
    ("CreateUser", r#"["iam"]"#, r#"["user","creation"]"#),
    (
        "CreateVirtualMFADevice",
        r#"["iam"]"#,
        r#"["user","change"]"#,
    ),
    ("DeactivateMFADevice", r#"["iam"]"#, r#"["user","change"]"#),
    ("DeleteAccessKey", r#"["iam"]"#, r#"["user","change"]"#),
    ("DeleteBucket", r#"["file"]"#, r#"["deletion"]"#),
    ("DeleteGroup", r#"["iam"]"#, r#"["group","deletion"]"#),
    ("DeleteGroupPolicy", r#"["iam"]"#, r#"["group","change"]"#),
    ("DeleteObject", r#"["file"]"#, r#"["deletion"]"#),
    ("DeleteSSHPublicKey", r#"["iam"]"#, r#"["user","change"]"#),
    ("DeleteTrail", r#"["configuration"]"#, r#"["deletion"]"#),
    ("DeleteUser", r#"["iam"]"#, r#"["user","deletion"]"#),
    (
        "DeleteUserPermissionsBoundary",
        r#"["iam"]"#,
        r#"["user","change"]"#,
    ),
    ("DeleteUserPolicy", r#"["iam"]"#, r#"["user","change"]"#),
    (
        "DeleteVirtualMFADevice",
        r#"["iam"]"#,
        r#"["user","change"]"#,
    ),
    ("DescribeDBInstances", r#"["database"]"#, r#"["info"]"#),
    ("DescribeInstances", r#"["host"]"#, r#"["info"]"#),
    ("DescribeLoadBalancers", r#"["network"]"#, r#"["info"]"#),
    ("DescribeNetworkAcls", r#"["network"]"#, r#"["info"]"#),
    ("DescribeNetworkInterfaces", r#"["network"]"#, r#"["info"]"#),
    ("DescribeRegions", r#"["api"]"#, r#"["info"]"#),
    ("DescribeSecurityGroups", r#"["network"]"#, r#"["info"]"#),
    ("DescribeTrails", r#"["configuration"]"#, r#"["info"]"#),
    ("DescribeVolumes", r#"["host"]"#, r#"["info"]"#),
    ("DescribeVpcs", r#"["network"]"#, r#"["info"]"#),
    ("DetachGroupPolicy", r#"["iam"]"#, r#"["group","change"]"#),
    ("DetachUserPolicy", r#"["iam"]"#, r#"["user","change"]"#),
    ("EnableMFADevice", r#"["iam"]"#, r#"["user","change"]"#),
    ("GetCallerIdentity", r#"["authentication"]"#, r#"["info"]"#),
    ("GetGroup", r#"["iam"]"#, r#"["group","info"]"#),
    ("GetGroupPolicy", r#"["iam"]"#, r#"["group","info"]"#),
    ("GetObject", r#"["file"]"#, r#"["info"]"#),
    ("GetPolicy", r#"["iam"]"#, r#"["info"]"#),
    ("GetUser", r#"["iam"]"#, r#"["user","info"]"#),
    ("GetUserPolicy", r#"["iam"]"#, r#"["user","info"]"#),
    ("HeadObject", r#"["file"]"#, r#"["info"]"#),
    (
        "ListAttachedGroupPolicies",
        r#"["iam"]"#,
        r#"["group","info"]"#,
    ),
    ("ListAttachedRolePolicies", r#"["iam"]"#, r#"["info"]"#),
    (
        "ListAttachedUserPolicies",
        r#"["iam"]"#,
        r#"["user","info"]"#,
    ),
    ("ListBuckets", r#"["file"]"#, r#"["info"]"#),
    ("ListFunctions", r#"["package"]"#, r#"["info"]"#),
    ("ListGroupPolicies", r#"["iam"]"#, r#"["group","info"]"#),
    ("ListGroups", r#"["iam"]"#, r#"["group","info"]"#),
    ("ListGroupsForUser", r#"["iam"]"#, r#"["user","info"]"#),
    ("ListInstanceAssociations", r#"["host"]"#, r#"["info"]"#),
    ("ListObjects", r#"["file"]"#, r#"["info"]"#),
    ("ListRoles", r#"["iam"]"#, r#"["info"]"#),
    ("ListTables", r#"["database"]"#, r#"["info"]"#),
    ("ListUserPolicies", r#"["iam"]"#, r#"["user","info"]"#),
    ("ListUserTags", r#"["iam"]"#, r#"["user","info"]"#),
    ("ListUsers", r#"["iam"]"#, r#"["user","info"]"#),
    ("OpenControlChannel", r#"["session"]"#, r#"["start"]"#),
    ("OpenDataChannel", r#"["session"]"#, r#"["start"]"#),
    ("Publish", r#"["api"]"#, r#""#),
    ("PutGroupPolicy", r#"["iam"]"#, r#"["group","change"]"#),
    ("PutObject", r#"["file"]"#, r#"["change"]"#),
    (
        "PutUserPermissionsBoundary",
        r#"["iam"]"#,
        r#"["user","change"]"#,
    ),
    ("PutUserPolicy", r#"["iam"]"#, r#"["user","change"]"#),
    ("RemoveUserFromGroup", r#"["iam"]"#, r#"["group","change"]"#),
    ("SendCommand", r#"["process"]"#, r#""#),
    (
        "SetDefaultPolicyVersion",
        r#"["iam"]"#,
        r#"["admin","change"]"#,
    ),
    (
        "SetSecurityTokenServicePreferences",
        r#"["iam"]"#,
        r#"["admin","change"]"#,
    ),
    ("StartSession", r#"["session"]"#, r#"["start"]"#),
    ("Subscribe", r#"["configuration"]"#, r#"["change"]"#),
    ("TagUser", r#"["iam"]"#, r#"["user","change"]"#),
    ("TerminateSession", r#"["session"]"#, r#"["end"]"#),
    ("UntagUser", r#"["iam"]"#, r#"["user","change"]"#),
    ("UpdateAccessKey", r#"["iam"]"#, r#"["user","change"]"#),
    (
        "UpdateAccountPasswordPolicy",
        r#"["iam"]"#,
        r#"["admin","change"]"#,
    ),
    ("UpdateGroup", r#"["iam"]"#, r#"["group","change"]"#),
    ("UpdateLoginProfile", r#"["iam"]"#, r#"["user","change"]"#),
    ("UpdateRole", r#"["iam"]"#, r#"["admin","change"]"#),
    ("UpdateSSHPublicKey", r#"["iam"]"#, r#"["user","change"]"#),
    ("UpdateUser", r#"["iam"]"#, r#"["user","change"]"#),
];

/// `event.type` of events not in the table.
const INFO: &str = r#"["info"]"#;

/// The `event.category` and `event.type` of an event named `name`, as JSON
/// lists (`None` when the event has no such field).
pub(crate) fn categorize(name: Option<&str>) -> (Option<&'static str>, Option<&'static str>) {
    let found = name.and_then(|name| TABLE.binary_search_by(|(n, _, _)| (*n).cmp(name)).ok());
    match found {
        Some(i) => {
            let (_, category, kind) = TABLE[i];
            (
                (!category.is_empty()).then_some(category),
                (!kind.is_empty()).then_some(kind),
            )
        }
        None => (None, Some(INFO)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search_and_holds_json_lists() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        for (_, category, kind) in TABLE {
            for list in [category, kind].into_iter().filter(|l| !l.is_empty()) {
                let parsed: Vec<String> = serde_json::from_str(list).unwrap();
                assert!(!parsed.is_empty());
            }
        }
    }

    #[test]
    fn known_names_have_elastic_categories() {
        assert_eq!(
            categorize(Some("ConsoleLogin")),
            (Some(r#"["authentication"]"#), Some(r#"["info"]"#))
        );
        assert_eq!(
            categorize(Some("AddUserToGroup")),
            (Some(r#"["iam"]"#), Some(r#"["group","change"]"#))
        );
        assert_eq!(categorize(Some("Converse")), (Some(r#"["api"]"#), None));
    }

    #[test]
    fn unknown_or_missing_names_are_info_without_category() {
        assert_eq!(categorize(Some("DescribeInstancez")), (None, Some(INFO)));
        assert_eq!(categorize(None), (None, Some(INFO)));
    }

    #[test]
    fn delete_object_uses_the_ecs_type_deletion() {
        // Elastic's table says "delete", which is not an ECS event.type value.
        assert_eq!(categorize(Some("DeleteObject")).1, Some(r#"["deletion"]"#));
    }
}
