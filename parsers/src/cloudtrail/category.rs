//! ECS categorization of CloudTrail events by `eventName`, from the table in
//! Elastic's CloudTrail pipeline.
//!
//! Events not in the table get `event.type: [info]` and no category. Where
//! the table gives no type (`Converse`, `Publish`, `SendCommand`), the event
//! has none.

/// `(eventName, event.category, event.type)`, sorted by name.
static TABLE: &[(&str, &[&str], &[&str])] = &[
    ("AddUserToGroup", &["iam"], &["group", "change"]),
    ("AssumeRole", &["authentication"], &["info"]),
    ("AttachGroupPolicy", &["iam"], &["group", "change"]),
    ("AttachRolePolicy", &["iam"], &["change"]),
    ("AttachUserPolicy", &["iam"], &["user", "change"]),
    ("AuthorizeSecurityGroupIngress", &["network"], &["access"]),
    ("ChangePassword", &["iam"], &["user", "change"]),
    ("ConsoleLogin", &["authentication"], &["info"]),
    ("Converse", &["api"], &[]),
    ("CreateAccessKey", &["iam"], &["user", "change"]),
    ("CreateBucket", &["file"], &["creation"]),
    ("CreateControlChannel", &["session"], &["start"]),
    ("CreateDataChannel", &["session"], &["start"]),
    ("CreateDocument", &["file"], &["creation"]),
    ("CreateGroup", &["iam"], &["group", "creation"]),
    ("CreateKeyPair", &["iam"], &["admin", "creation"]),
    ("CreatePolicy", &["iam"], &["creation"]),
    ("CreateTopic", &["configuration"], &["creation"]),
    ("CreateUser", &["iam"], &["user", "creation"]),
    ("CreateVirtualMFADevice", &["iam"], &["user", "change"]),
    ("DeactivateMFADevice", &["iam"], &["user", "change"]),
    ("DeleteAccessKey", &["iam"], &["user", "change"]),
    ("DeleteBucket", &["file"], &["deletion"]),
    ("DeleteGroup", &["iam"], &["group", "deletion"]),
    ("DeleteGroupPolicy", &["iam"], &["group", "change"]),
    ("DeleteObject", &["file"], &["deletion"]),
    ("DeleteSSHPublicKey", &["iam"], &["user", "change"]),
    ("DeleteTrail", &["configuration"], &["deletion"]),
    ("DeleteUser", &["iam"], &["user", "deletion"]),
    (
        "DeleteUserPermissionsBoundary",
        &["iam"],
        &["user", "change"],
    ),
    ("DeleteUserPolicy", &["iam"], &["user", "change"]),
    ("DeleteVirtualMFADevice", &["iam"], &["user", "change"]),
    ("DescribeDBInstances", &["database"], &["info"]),
    ("DescribeInstances", &["host"], &["info"]),
    ("DescribeLoadBalancers", &["network"], &["info"]),
    ("DescribeNetworkAcls", &["network"], &["info"]),
    ("DescribeNetworkInterfaces", &["network"], &["info"]),
    ("DescribeRegions", &["api"], &["info"]),
    ("DescribeSecurityGroups", &["network"], &["info"]),
    ("DescribeTrails", &["configuration"], &["info"]),
    ("DescribeVolumes", &["host"], &["info"]),
    ("DescribeVpcs", &["network"], &["info"]),
    ("DetachGroupPolicy", &["iam"], &["group", "change"]),
    ("DetachUserPolicy", &["iam"], &["user", "change"]),
    ("EnableMFADevice", &["iam"], &["user", "change"]),
    ("GetCallerIdentity", &["authentication"], &["info"]),
    ("GetGroup", &["iam"], &["group", "info"]),
    ("GetGroupPolicy", &["iam"], &["group", "info"]),
    ("GetObject", &["file"], &["info"]),
    ("GetPolicy", &["iam"], &["info"]),
    ("GetUser", &["iam"], &["user", "info"]),
    ("GetUserPolicy", &["iam"], &["user", "info"]),
    ("HeadObject", &["file"], &["info"]),
    ("ListAttachedGroupPolicies", &["iam"], &["group", "info"]),
    ("ListAttachedRolePolicies", &["iam"], &["info"]),
    ("ListAttachedUserPolicies", &["iam"], &["user", "info"]),
    ("ListBuckets", &["file"], &["info"]),
    ("ListFunctions", &["package"], &["info"]),
    ("ListGroupPolicies", &["iam"], &["group", "info"]),
    ("ListGroups", &["iam"], &["group", "info"]),
    ("ListGroupsForUser", &["iam"], &["user", "info"]),
    ("ListInstanceAssociations", &["host"], &["info"]),
    ("ListObjects", &["file"], &["info"]),
    ("ListRoles", &["iam"], &["info"]),
    ("ListTables", &["database"], &["info"]),
    ("ListUserPolicies", &["iam"], &["user", "info"]),
    ("ListUserTags", &["iam"], &["user", "info"]),
    ("ListUsers", &["iam"], &["user", "info"]),
    ("OpenControlChannel", &["session"], &["start"]),
    ("OpenDataChannel", &["session"], &["start"]),
    ("Publish", &["api"], &[]),
    ("PutGroupPolicy", &["iam"], &["group", "change"]),
    ("PutObject", &["file"], &["change"]),
    ("PutUserPermissionsBoundary", &["iam"], &["user", "change"]),
    ("PutUserPolicy", &["iam"], &["user", "change"]),
    ("RemoveUserFromGroup", &["iam"], &["group", "change"]),
    ("SendCommand", &["process"], &[]),
    ("SetDefaultPolicyVersion", &["iam"], &["admin", "change"]),
    (
        "SetSecurityTokenServicePreferences",
        &["iam"],
        &["admin", "change"],
    ),
    ("StartSession", &["session"], &["start"]),
    ("Subscribe", &["configuration"], &["change"]),
    ("TagUser", &["iam"], &["user", "change"]),
    ("TerminateSession", &["session"], &["end"]),
    ("UntagUser", &["iam"], &["user", "change"]),
    ("UpdateAccessKey", &["iam"], &["user", "change"]),
    (
        "UpdateAccountPasswordPolicy",
        &["iam"],
        &["admin", "change"],
    ),
    ("UpdateGroup", &["iam"], &["group", "change"]),
    ("UpdateLoginProfile", &["iam"], &["user", "change"]),
    ("UpdateRole", &["iam"], &["admin", "change"]),
    ("UpdateSSHPublicKey", &["iam"], &["user", "change"]),
    ("UpdateUser", &["iam"], &["user", "change"]),
];

/// The `event.category` and `event.type` of an event named `name`.
pub(crate) fn categorize(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    TABLE
        .binary_search_by(|(n, _, _)| (*n).cmp(name))
        .ok()
        .map(|i| (TABLE[i].1, TABLE[i].2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn known_names_have_elastic_categories() {
        assert_eq!(
            categorize("ConsoleLogin"),
            Some((&["authentication"][..], &["info"][..]))
        );
        assert_eq!(
            categorize("AddUserToGroup"),
            Some((&["iam"][..], &["group", "change"][..]))
        );
        assert_eq!(categorize("Converse"), Some((&["api"][..], &[][..])));
        assert_eq!(categorize("DescribeInstancez"), None);
    }

    #[test]
    fn delete_object_uses_the_ecs_type_deletion() {
        // Elastic's table says "delete", which is not an ECS event.type value.
        assert_eq!(
            categorize("DeleteObject").map(|c| c.1),
            Some(&["deletion"][..])
        );
    }
}
