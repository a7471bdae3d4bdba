//! Routing: which dataset an object belongs to, from its key.
//!
//! Configured selectors (regular expressions on the key) are tried first, in
//! order; then the built-in rules, which follow the paths AWS services write
//! to (`AWSLogs/<account>/<service>/…`) and the file names of known exports.

use regex::Regex;

/// Where an object goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Parse it as this dataset.
    Dataset(String),
    /// A known kind of object that holds no events (CloudTrail digests):
    /// completed without reading.
    Skip(&'static str),
    /// No rule matched.
    Unknown,
}

/// A configured rule: keys matching `pattern` belong to `dataset`.
#[derive(Debug, Clone)]
pub struct Selector {
    /// Regular expression matched against the whole key.
    pub pattern: Regex,
    /// Dataset name.
    pub dataset: String,
}

/// Routes object keys to datasets.
#[derive(Debug, Clone)]
pub struct Router {
    selectors: Vec<Selector>,
    s3access: Regex,
    wallarm: Regex,
    cloudfront: Regex,
}

impl Default for Router {
    fn default() -> Self {
        Router::new(Vec::new())
    }
}

impl Router {
    /// A router trying `selectors` before the built-in rules.
    pub fn new(selectors: Vec<Selector>) -> Self {
        Router {
            selectors,
            // Server access log objects: `[prefix]YYYY-mm-DD-HH-MM-SS-UniqueString`,
            // optionally under the date-partitioned `account/region/bucket/YYYY/MM/DD/` layout.
            s3access: Regex::new(r"(^|/)\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")
                .expect("valid regex"),
            wallarm: Regex::new(
                r"(^|/)(wallarm_hits_[^/]*\.json|hitlogs-[^/]*\.(json|ndjson|ocsf))(\.gz|\.zst)?$",
            )
            .expect("valid regex"),
            // CloudFront standard logs (legacy and v2):
            // `[prefix/]<distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz`, the prefix
            // possibly partitioned (`{DistributionId}/{yyyy}/{MM}/{dd}/{HH}/`).
            cloudfront: Regex::new(
                r"(^|/)E[A-Z0-9]{5,20}\.\d{4}-\d{2}-\d{2}-\d{2}\.[A-Za-z0-9]+(\.log)?(\.gz|\.zst)?$",
            )
            .expect("valid regex"),
        }
    }

    /// The route of `key`.
    pub fn route(&self, key: &str) -> Route {
        if let Some(s) = self.selectors.iter().find(|s| s.pattern.is_match(key)) {
            return Route::Dataset(s.dataset.clone());
        }
        let dataset = if key.contains("/CloudTrail-Digest/") {
            return Route::Skip("CloudTrail digest file");
        } else if key.contains("/CloudTrail/") || key.contains("/CloudTrail-Insight/") {
            "aws.cloudtrail"
        } else if key.contains("/elasticloadbalancing/") {
            "aws.elb_logs"
        } else if key.contains("/vpcflowlogs/") {
            "aws.vpcflow"
        } else if key.contains("/WAFLogs/") {
            "aws.waf"
        } else if key.contains("/vpcdnsquerylogs/") {
            "aws.route53_resolver_logs"
        } else if key.contains("/network-firewall/") {
            "aws.firewall_logs"
        } else if key.contains("/GuardDuty/") {
            "aws.guardduty"
        } else if self.cloudfront.is_match(key) {
            "aws.cloudfront_logs"
        } else if self.wallarm.is_match(key) {
            "wallarm.hits"
        } else if self.s3access.is_match(key) {
            "aws.s3access"
        } else {
            return Route::Unknown;
        };
        Route::Dataset(dataset.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(key: &str) -> Route {
        Router::default().route(key)
    }

    fn ds(name: &str) -> Route {
        Route::Dataset(name.into())
    }

    #[test]
    fn routes_aws_service_paths() {
        assert_eq!(route("AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/123456789012_CloudTrail_us-east-1_20240101T0000Z_abc.json.gz"), ds("aws.cloudtrail"));
        assert_eq!(
            route("p/AWSLogs/123456789012/CloudTrail-Insight/us-east-1/2024/01/01/x.json.gz"),
            ds("aws.cloudtrail")
        );
        assert_eq!(
            route("AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/01/01/x.json.gz"),
            Route::Skip("CloudTrail digest file")
        );
        assert_eq!(
            route("AWSLogs/123456789012/elasticloadbalancing/us-east-1/2024/01/01/x.log.gz"),
            ds("aws.elb_logs")
        );
        assert_eq!(
            route("AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/01/x.log.gz"),
            ds("aws.vpcflow")
        );
        assert_eq!(
            route("logs/2024-01-01-00-00-38-5E5FDEADBEEF1234"),
            ds("aws.s3access")
        );
        assert_eq!(
            route(
                "access/123456789012/us-east-1/b/2024/01/01/2024-01-01-00-00-38-5E5FDEADBEEF1234"
            ),
            ds("aws.s3access")
        );
        assert_eq!(route("random/file.txt"), Route::Unknown);
    }

    #[test]
    fn routes_waf_logs() {
        assert_eq!(
            route("AWSLogs/123456789012/WAFLogs/us-east-1/my-web-acl/2024/01/01/10/05/123456789012_waflogs_us-east-1_my-web-acl_20240101T1005Z_abcd1234.log.gz"),
            ds("aws.waf")
        );
        assert_eq!(
            route("waf/AWSLogs/123456789012/WAFLogs/cloudfront/acl/2024/01/01/10/05/x.log.gz"),
            ds("aws.waf")
        );
    }

    #[test]
    fn routes_cloudfront_standard_log_names() {
        assert_eq!(
            route("E2K2LNL5N3WR51.2024-01-01-10.a1b2c3d4.gz"),
            ds("aws.cloudfront_logs")
        );
        assert_eq!(
            route("cdn-logs/EMLARXS9EXAMPLE.2019-11-14-20.RT4KCN4SGK9.gz"),
            ds("aws.cloudfront_logs")
        );
        // Standard logging v2 with Hive-style partitioning of the prefix.
        assert_eq!(
            route("cf/AWSLogs/123456789012/CloudFront/E2K2LNL5N3WR51/2024/11/14/20/E2K2LNL5N3WR51.2024-11-14-20.4b9f3a1c.gz"),
            ds("aws.cloudfront_logs")
        );
        assert_eq!(route("E2K2LNL5N3WR51.2024-01-01.gz"), Route::Unknown);
    }

    #[test]
    fn routes_guardduty_findings_exports() {
        assert_eq!(
            route("AWSLogs/123456789012/GuardDuty/us-east-1/2024/01/01/5a1b2c3d-0e1f-4a5b-8c9d-0e1f2a3b4c5d.jsonl.gz"),
            ds("aws.guardduty")
        );
        assert_eq!(
            route("exports/AWSLogs/123456789012/GuardDuty/eu-west-1/2024/03/09/f0e1d2c3-b4a5-4968-8776-655443322110.jsonl.gz"),
            ds("aws.guardduty")
        );
    }

    #[test]
    fn routes_route53_resolver_query_logs() {
        assert_eq!(
            route("AWSLogs/123456789012/vpcdnsquerylogs/vpc-0123456789abcdef0/2024/01/01/vpc-0123456789abcdef0_vpcdnsquerylogs_123456789012_20240101T0005Z_abc.log.gz"),
            ds("aws.route53_resolver_logs")
        );
    }

    #[test]
    fn routes_network_firewall_logs() {
        for kind in ["alert", "flow", "tls"] {
            assert_eq!(
                route(&format!("AWSLogs/123456789012/network-firewall/{kind}/us-east-1/fw/2024/01/01/10/123456789012_network-firewall_{kind}_us-east-1_fw_202401011000_abc.log.gz")),
                ds("aws.firewall_logs")
            );
        }
    }

    #[test]
    fn routes_wallarm_export_names() {
        assert_eq!(
            route("exports/wallarm_hits_1700000000.json"),
            ds("wallarm.hits")
        );
        assert_eq!(route("hitlogs-1700000000.ndjson"), ds("wallarm.hits"));
        assert_eq!(route("x/hitlogs-1700000000.ocsf.gz"), ds("wallarm.hits"));
        assert_eq!(route("x/hitlogs.txt"), Route::Unknown);
    }

    #[test]
    fn configured_selectors_come_first() {
        let r = Router::new(vec![Selector {
            pattern: Regex::new("^activity/").unwrap(),
            dataset: "iru.activity".into(),
        }]);
        assert_eq!(
            r.route("activity/AWSLogs/1/vpcflowlogs/x"),
            ds("iru.activity")
        );
        assert_eq!(r.route("AWSLogs/1/vpcflowlogs/x"), ds("aws.vpcflow"));
    }
}
