#!/usr/bin/env python3
"""Deterministic generator of realistic security log records for benchmarks,
in the style of gen_logs.py (same seed, same output on every run).

usage: gen_security_logs.py waf|route53|firewall|guardduty|iru|cloudfront N OUT

  waf         aws.waf: WAFv2 web ACL records, one JSON per line (ALB, CloudFront and
              API Gateway sources; headers, rule groups, rate-based rules, labels,
              captcha/challenge responses)
  route53     aws.route53_resolver_logs: Resolver query logs with answers, and DNS
              Firewall records, one JSON per line
  firewall    aws.firewall_logs: Network Firewall alert (http/tls/dns), netflow and
              tls-inspection records mixed, one JSON per line
  guardduty   aws.guardduty: findings export, one finding per line (EC2 network
              connection/port probe/DNS, IAM API call, S3 data event, EKS API call,
              RDS login)
  iru         iru.audit: Iru Endpoint (Kandji) audit events, NDJSON
  cloudfront  aws.cloudfront_logs: a standard log (W3C), #Version/#Fields header and
              the full v1 field list (33 fields), tab-separated
"""
import json, random, sys

# -- shared pieces ------------------------------------------------------------

def ipv4(r):
    return r.choice([f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}",
                     f"172.31.{r.randrange(256)}.{r.randrange(1, 255)}",
                     f"192.168.{r.randrange(256)}.{r.randrange(1, 255)}",
                     f"{r.randrange(1, 223)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}",
                     f"{r.randrange(1, 223)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"])

def public_ipv4(r):
    return f"{r.choice([3, 18, 34, 45, 52, 54, 62, 81, 91, 104, 141, 185, 198, 203, 212])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

def private_ipv4(r):
    return r.choice([f"10.0.{r.randrange(16)}.{r.randrange(1, 255)}", f"172.31.{r.randrange(64)}.{r.randrange(1, 255)}"])

def ipv6(r):
    return "2001:db8:" + ":".join(f"{r.randrange(16**4):x}" for _ in range(6))

def client_ip(r):
    return ipv6(r) if r.random() < 0.08 else ipv4(r)

def hexs(r, n):
    return f"{r.randrange(16**n):0{n}x}"

def uuid(r):
    return f"{hexs(r, 8)}-{hexs(r, 4)}-4{hexs(r, 3)}-{r.choice('89ab')}{hexs(r, 3)}-{hexs(r, 12)}"

def iso(i, base_h=10, frac=3):
    ms = (i * 137) % (10 ** frac)
    return f"2024-03-05T{base_h + (i // 3600) % 12:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.{ms:0{frac}d}Z"

def epoch(i):
    return 1709633400 + i // 20

UAS = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
       "python-requests/2.31.0", "Go-http-client/2.0", "sqlmap/1.8#stable (https://sqlmap.org)",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
       "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"]
HOSTS = ["shop.example.com", "api.example.com", "www.example.com", "static.example.net", "auth.example.org"]
PATHS = ["/", "/products/42", "/api/v1/orders", "/cart", "/login", "/health", "/search", "/static/app.3f9a1c.js",
         "/images/banner.webp", "/wp-login.php", "/.env", "/api/v2/users/1001/profile", "/checkout/payment"]
QUERIES = ["", "", "ref=home", "q=rust+logs&page=2", "id=42&qty=1", "q=1%20UNION%20SELECT%20password%20FROM%20users",
           "redirect=https%3A%2F%2Fevil.example%2F", "utm_source=newsletter&utm_medium=email&utm_campaign=spring"]
COUNTRIES = ["US", "DE", "FR", "GB", "JP", "BR", "IN", "NL", "SG", "CA", "-"]
DOMAINS = ["api.github.com.", "bucket.s3.us-east-1.amazonaws.com.", "sts.amazonaws.com.", "ec2.us-east-1.amazonaws.com.",
           "registry-1.docker.io.", "pypi.org.", "files.pythonhosted.org.", "ntp.ubuntu.com.", "db.internal.example.",
           "www.google.com.", "login.microsoftonline.com.", "updates.example.net.", "crypto-pool.example.xyz.",
           "nonexistent.internal.example.", "ip-10-0-1-25.ec2.internal.", "metrics.eu-west-1.amazonaws.com."]

# -- aws.waf --------------------------------------------------------------------

WAF_SOURCES = [("ALB", "111122223333-app/shop-alb/0123456789abcdef", "regional", "shop-acl", "us-east-1"),
               ("CF", "E2EXAMPLE3K4L5", "global", "cdn-acl", "us-east-1"),
               ("APIGW", "111122223333:a1b2c3d4e5:prod", "regional", "api-acl", "eu-west-1")]
MANAGED = [("AWS#AWSManagedRulesCommonRuleSet", "CrossSiteScripting_QUERYARGUMENTS", "XSS", "awswaf:managed:aws:core-rule-set:CrossSiteScripting_QueryArguments"),
           ("AWS#AWSManagedRulesSQLiRuleSet", "SQLi_QUERYARGUMENTS", "SQL_INJECTION", "awswaf:managed:aws:sql-database:SQLi_QueryArguments"),
           ("AWS#AWSManagedRulesKnownBadInputsRuleSet", "Log4JRCE_HEADER", "LOG4J", "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Header"),
           ("AWS#AWSManagedRulesAmazonIpReputationList", "AWSManagedIPReputationList", None, "awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList"),
           ("AWS#AWSManagedRulesBotControlRuleSet", "CategoryHttpLibrary", None, "awswaf:managed:aws:bot-control:bot:category:http_library")]

def waf(r, i):
    src, src_id, scope, acl, region = r.choice(WAF_SOURCES)
    host = r.choice(HOSTS)
    ua = r.choice(UAS)
    method = r.choice(["GET", "GET", "GET", "POST", "PUT", "HEAD", "OPTIONS"])
    headers = [{"name": "Host", "value": host}, {"name": "User-Agent", "value": ua},
               {"name": "Accept", "value": r.choice(["*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"])},
               {"name": "Accept-Encoding", "value": "gzip, deflate, br"}]
    if r.random() < 0.6:
        headers.append({"name": "Accept-Language", "value": r.choice(["en-US,en;q=0.9", "de-DE,de;q=0.8,en;q=0.5", "fr-FR"])})
    if r.random() < 0.4:
        headers.append({"name": "Cookie", "value": f"session={hexs(r, 32)}; _ga=GA1.2.{r.randrange(10**9)}.{1709000000 + r.randrange(10**6)}"})
    if r.random() < 0.3:
        headers.append({"name": "X-Forwarded-For", "value": ipv4(r)})
    if method in ("POST", "PUT"):
        headers.append({"name": "Content-Type", "value": r.choice(["application/json", "application/x-www-form-urlencoded"])})
        headers.append({"name": "Content-Length", "value": str(r.randrange(20, 4000))})
    kind = r.random()
    rule_groups, labels, term_details, nonterm, rate = [], [], [], [], []
    response_code, extra = None, {}
    if kind < 0.65:
        action, term_id, term_type = "ALLOW", "Default_Action", "REGULAR"
        for g, _, _, _ in r.sample(MANAGED, r.randrange(1, 4)):
            rule_groups.append({"ruleGroupId": g, "terminatingRule": None, "nonTerminatingMatchingRules": [],
                                "excludedRules": None, "customerConfig": None})
        if r.random() < 0.2:
            g, rid, _, lab = MANAGED[4]
            rule_groups.append({"ruleGroupId": g, "terminatingRule": None,
                                "nonTerminatingMatchingRules": [{"ruleId": rid, "action": "COUNT", "ruleMatchDetails": []}],
                                "excludedRules": None, "customerConfig": None})
            labels.append({"name": lab})
            labels.append({"name": "awswaf:managed:aws:bot-control:bot:name:" + r.choice(["curl", "python_requests", "go_http"])})
    elif kind < 0.9:
        g, rid, cond, lab = r.choice(MANAGED)
        action, term_id, term_type = "BLOCK", "AWS-" + g.split("#")[1], "MANAGED_RULE_GROUP"
        rule_groups.append({"ruleGroupId": g, "terminatingRule": {"ruleId": rid, "action": "BLOCK", "ruleMatchDetails": None},
                            "nonTerminatingMatchingRules": [], "excludedRules": None, "customerConfig": None})
        if cond:
            term_details.append({"conditionType": cond, "sensitivityLevel": "HIGH",
                                 "location": r.choice(["QUERY_STRING", "HEADER", "BODY", "URI"]),
                                 "matchedData": r.choice([["UNION", "SELECT"], ["<script>", "alert"], ["${jndi:ldap", "//"]])})
        labels.append({"name": lab})
        response_code = r.choice([None, 403])
    else:
        action = r.choice(["CAPTCHA", "CHALLENGE", "BLOCK"])
        term_id, term_type = "RateLimitLogin", "RATE_BASED"
        rate.append({"rateBasedRuleId": f"arn:aws:wafv2:{region}:111122223333:{scope}/ipset/{uuid(r)}",
                     "rateBasedRuleName": "RateLimitLogin", "limitKey": "IP", "maxRateAllowed": 100,
                     "evaluationWindowSec": "300"})
        labels.append({"name": f"awswaf:111122223333:webacl:{acl}:rate-limited"})
        if action == "CAPTCHA":
            extra["captchaResponse"] = {"responseCode": 405, "solveTimestamp": 0, "failureReason": "TOKEN_MISSING"}
        elif action == "CHALLENGE":
            extra["challengeResponse"] = {"responseCode": 202, "solveTimestamp": 0, "failureReason": "TOKEN_MISSING"}
    req = {"clientIp": client_ip(r), "country": r.choice(COUNTRIES), "headers": headers, "uri": r.choice(PATHS),
           "args": r.choice(QUERIES), "httpVersion": r.choice(["HTTP/1.1", "HTTP/2.0"]), "httpMethod": method,
           "requestId": f"1-{0x65e6f000 + i // 10:08x}-{hexs(r, 24)}"}
    if src != "APIGW":
        req.update({"fragment": "", "scheme": "https", "host": host})
    rec = {"timestamp": 1709633400000 + i * 37, "formatVersion": 1,
           "webaclId": f"arn:aws:wafv2:{region}:111122223333:{scope}/webacl/{acl}/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
           "terminatingRuleId": term_id, "terminatingRuleType": term_type, "action": action,
           "terminatingRuleMatchDetails": term_details, "httpSourceName": src, "httpSourceId": src_id,
           "ruleGroupList": rule_groups, "rateBasedRuleList": rate, "nonTerminatingMatchingRules": nonterm,
           "requestHeadersInserted": None, "responseCodeSent": response_code, "httpRequest": req, "labels": labels}
    if r.random() < 0.7:
        rec["ja3Fingerprint"] = hexs(r, 32)
        rec["ja4Fingerprint"] = f"t13d{r.randrange(1000, 2000)}h2_{hexs(r, 12)}_{hexs(r, 12)}"
    rec.update(extra)
    return json.dumps(rec, separators=(",", ":"))

# -- aws.route53_resolver_logs ----------------------------------------------------

def answers(r, qname, qtype):
    if qtype == "A":
        out = []
        if r.random() < 0.3:
            out.append({"Rdata": "cdn-" + qname.split(".", 1)[-1], "Type": "CNAME", "Class": "IN"})
        out += [{"Rdata": public_ipv4(r), "Type": "A", "Class": "IN"} for _ in range(r.randrange(1, 4))]
        return out
    if qtype == "AAAA":
        return [{"Rdata": ipv6(r), "Type": "AAAA", "Class": "IN"} for _ in range(r.randrange(1, 3))]
    if qtype == "PTR":
        return [{"Rdata": f"ip-{r.randrange(256)}-{r.randrange(256)}.ec2.internal.", "Type": "PTR", "Class": "IN"}]
    if qtype == "TXT":
        return [{"Rdata": '"v=spf1 include:_spf.example.com ~all"', "Type": "TXT", "Class": "IN"}]
    if qtype == "MX":
        return [{"Rdata": f"{10 * k} mx{k}.example.com.", "Type": "MX", "Class": "IN"} for k in (1, 2)]
    return [{"Rdata": "ns-123.awsdns-15.com.", "Type": "NS", "Class": "IN"}]

def route53(r, i):
    qtype = r.choice(["A", "A", "A", "A", "AAAA", "AAAA", "PTR", "TXT", "MX", "NS"])
    qname = r.choice(DOMAINS)
    if qtype == "PTR":
        qname = f"{r.randrange(256)}.{r.randrange(256)}.0.10.in-addr.arpa."
    rcode = r.choice(["NOERROR"] * 8 + ["NXDOMAIN", "SERVFAIL"])
    rec = {"version": "1.100000", "account_id": "111122223333", "region": r.choice(["us-east-1", "eu-west-1"]),
           "vpc_id": f"vpc-{hexs(r, 17)}", "query_timestamp": iso(i, frac=0)[:19] + "Z", "query_name": qname,
           "query_type": qtype, "query_class": "IN", "rcode": rcode,
           "answers": answers(r, qname, qtype) if rcode == "NOERROR" else [],
           "srcaddr": private_ipv4(r) if r.random() < 0.9 else public_ipv4(r),
           "srcport": str(r.randrange(1024, 65535)), "transport": r.choice(["UDP", "UDP", "UDP", "TCP"]),
           "srcids": r.choice([{"instance": f"i-{hexs(r, 17)}"}, {"instance": f"i-{hexs(r, 17)}"},
                               {"resolver_endpoint": f"rslvr-in-{hexs(r, 17)}"}])}
    if r.random() < 0.1:
        rec["firewall_rule_group_id"] = f"rslvr-frg-{hexs(r, 17)}"
        rec["firewall_rule_action"] = r.choice(["BLOCK", "ALERT", "ALLOW"])
        rec["firewall_domain_list_id"] = f"rslvr-fdl-{hexs(r, 17)}"
    return json.dumps(rec, separators=(",", ":"))

# -- aws.firewall_logs ----------------------------------------------------------

SIGS = [(1000003, "Deny outbound HTTP to unknown hosts", "Policy Violation"),
        (2027865, "ET INFO Observed DNS Query to .cloud TLD", "Potentially Bad Traffic"),
        (2013028, "ET POLICY curl User-Agent Outbound", "Attempted Information Leak"),
        (1000010, "Allow TLS to allowed domains", ""),
        (2024897, "ET USER_AGENTS Go HTTP Client User-Agent", "Misc activity")]

def fw_time(i, frac=6):
    return f"2024-03-05T{10 + (i // 3600) % 12:02d}:{(i // 60) % 60:02d}:{i % 60:02d}.{(i * 7919) % 10**frac:0{frac}d}+0000"

def firewall(r, i):
    t = epoch(i)
    kind = r.random()
    src, dst = private_ipv4(r), public_ipv4(r)
    flow_id = r.randrange(10**15, 10**16)
    head = {"firewall_name": r.choice(["egress-fw", "ingress-fw", "inspection-fw"]),
            "availability_zone": r.choice(["us-east-1a", "us-east-1b", "us-east-1d"])}
    if kind < 0.55:
        proto = r.choice(["TCP", "TCP", "UDP", "ICMP"])
        ev = {"timestamp": fw_time(i), "flow_id": flow_id, "event_type": "netflow", "src_ip": src,
              "src_port": r.randrange(1024, 65535), "dest_ip": dst, "dest_port": r.choice([443, 443, 80, 53, 22, 123, 5432]),
              "proto": proto}
        if proto == "ICMP":
            del ev["src_port"], ev["dest_port"]
        if r.random() < 0.5:
            ev["app_proto"] = r.choice(["tls", "http", "dns", "ssh"])
        ev["netflow"] = {"pkts": r.randrange(1, 5000), "bytes": r.randrange(40, 9000000), "start": fw_time(i - 60),
                         "end": fw_time(i), "age": r.randrange(0, 120), "min_ttl": 64, "max_ttl": r.choice([64, 128, 255])}
        if proto == "TCP":
            ev["tcp"] = {"tcp_flags": r.choice(["02", "1b", "1f", "13"]), "syn": True, "ack": True, "fin": r.random() < 0.5}
        return json.dumps({**head, "event_timestamp": str(t), "event": ev}, separators=(",", ":"))
    if kind < 0.9:
        sid, sig, cat = r.choice(SIGS)
        app = r.choice(["http", "tls", "dns"])
        ev = {"timestamp": fw_time(i), "flow_id": flow_id, "event_type": "alert", "src_ip": src,
              "src_port": r.randrange(1024, 65535), "dest_ip": dst, "dest_port": {"http": 80, "tls": 443, "dns": 53}[app],
              "proto": "UDP" if app == "dns" else "TCP", "app_proto": app,
              "alert": {"action": r.choice(["blocked", "allowed"]), "signature_id": sid, "rev": r.randrange(1, 5),
                        "signature": sig, "category": cat, "severity": r.choice([1, 2, 3])}}
        if app == "http":
            ev["http"] = {"hostname": r.choice(HOSTS), "url": r.choice(PATHS), "http_user_agent": r.choice(UAS),
                          "http_method": r.choice(["GET", "POST"]), "protocol": "HTTP/1.1", "length": r.randrange(0, 50000)}
        elif app == "tls":
            sni = r.choice(HOSTS)
            ev["tls"] = {"subject": f"CN={sni}", "issuerdn": "C=US, O=Let's Encrypt, CN=R3", "serial": ":".join(hexs(r, 2).upper() for _ in range(5)),
                         "fingerprint": ":".join(hexs(r, 2) for _ in range(20)), "sni": sni, "version": r.choice(["TLS 1.2", "TLS 1.3"]),
                         "notbefore": "2024-01-10T00:00:00", "notafter": "2024-04-09T23:59:59",
                         "ja3": {"hash": hexs(r, 32), "string": "771,4865-4866-4867-49195-49199,0-23-65281-10-11-35-16-5-13,29-23-24,0"},
                         "ja3s": {"hash": hexs(r, 32), "string": "771,4865,43-51"}}
        else:
            ev["dns"] = {"query": [{"type": "query", "id": r.randrange(65536), "rrname": r.choice(DOMAINS).rstrip("."), "rrtype": "A", "tx_id": 0}]}
        rec = {**head, "event_timestamp": str(t), "event": ev}
        if r.random() < 0.3:
            rec["aws_category"] = [r.choice(["Technology and Internet", "Malware", "Cloud and Data Centers"])]
        return json.dumps(rec, separators=(",", ":"))
    ev = {"timestamp": fw_time(i)[:26] + "Z", "src_ip": src, "src_port": str(r.randrange(1024, 65535)),
          "dest_ip": dst, "dest_port": "443", "sni": r.choice(HOSTS + ["-"])}
    if r.random() < 0.5:
        ev["tls_error"] = {"error_message": r.choice(["Server name is not found in client hello.",
                                                      "Certificate verification failed: unable to get local issuer certificate"])}
    else:
        ev["revocation_check"] = {"leaf_cert_fpr": hexs(r, 40).upper(), "status": r.choice(["REVOKED", "UNKNOWN"]),
                                  "action": r.choice(["DROP", "PASS", "REJECT"])}
    return json.dumps({**head, "event_timestamp": t, "event": ev}, separators=(",", ":"))

# -- aws.guardduty ----------------------------------------------------------------

def remote_ip(r, ip):
    return {"ipAddressV4": ip,
            "organization": {"asn": str(r.randrange(1000, 65000)), "asnOrg": r.choice(["DIGITALOCEAN-ASN", "OVH SAS", "CHINANET-BACKBONE", "HETZNER-AS"]),
                             "isp": r.choice(["DigitalOcean, LLC", "OVH SAS", "Chinanet", "Hetzner Online GmbH"]),
                             "org": r.choice(["DigitalOcean, LLC", "OVH SAS", "Chinanet", "Hetzner Online GmbH"])},
            "country": {"countryName": r.choice(["United States", "Germany", "China", "Netherlands", "Russia"])},
            "city": {"cityName": r.choice(["Frankfurt am Main", "Amsterdam", "Shanghai", "Clifton"])},
            "geoLocation": {"lat": round(r.uniform(-60, 60), 4), "lon": round(r.uniform(-150, 150), 4)}}

def instance(r):
    iid = f"i-{hexs(r, 17)}"
    priv = private_ipv4(r)
    return iid, {"resourceType": "Instance", "instanceDetails": {
        "instanceId": iid, "instanceType": r.choice(["t3.micro", "m5.large", "c6g.xlarge"]),
        "launchTime": "2024-02-12T08:15:42.000Z", "platform": None,
        "iamInstanceProfile": {"arn": "arn:aws:iam::123456789012:instance-profile/web-server", "id": f"AIPA{hexs(r, 16).upper()}"},
        "networkInterfaces": [{"networkInterfaceId": f"eni-{hexs(r, 17)}", "privateIpAddress": priv,
                               "privateIpAddresses": [{"privateDnsName": f"ip-{priv.replace('.', '-')}.ec2.internal", "privateIpAddress": priv}],
                               "privateDnsName": f"ip-{priv.replace('.', '-')}.ec2.internal",
                               "publicIp": public_ipv4(r), "publicDnsName": "", "subnetId": f"subnet-{hexs(r, 17)}", "vpcId": f"vpc-{hexs(r, 17)}",
                               "securityGroups": [{"groupName": "web-sg", "groupId": f"sg-{hexs(r, 17)}"}], "ipv6Addresses": []}],
        "tags": [{"key": "Name", "value": r.choice(["web-1", "bastion", "worker-7"])}, {"key": "env", "value": "prod"}],
        "instanceState": "running", "availabilityZone": "us-east-1a", "imageId": f"ami-{hexs(r, 17)}",
        "imageDescription": "Amazon Linux 2023 AMI"}}

def access_key(r):
    return {"accessKeyId": f"ASIA{hexs(r, 16).upper()}", "principalId": f"AROA{hexs(r, 16).upper()}:session",
            "userType": r.choice(["AssumedRole", "IAMUser", "Root"]), "userName": r.choice(["deploy", "ci-runner", "alice"])}

def guardduty(r, i):
    fid = hexs(r, 32)
    detector = "12abc34d567e8fa901bc2d34e56789f0"
    remote = public_ipv4(r)
    t = iso(i)
    sev = r.choice([2, 2, 5, 5, 5, 8, 8.9])
    kind = r.randrange(6)
    if kind == 0:
        iid, resource = instance(r)
        ftype, title = "UnauthorizedAccess:EC2/SSHBruteForce", f"{remote} is performing SSH brute force attacks against {iid}."
        action = {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
            "connectionDirection": "INBOUND", "remoteIpDetails": remote_ip(r, remote),
            "remotePortDetails": {"port": r.randrange(1024, 65535), "portName": "Unknown"},
            "localPortDetails": {"port": 22, "portName": "SSH"}, "localIpDetails": {"ipAddressV4": private_ipv4(r)},
            "protocol": "TCP", "blocked": False}}
    elif kind == 1:
        iid, resource = instance(r)
        ftype, title = "Recon:EC2/PortProbeUnprotectedPort", f"Unprotected port on EC2 instance {iid} is being probed."
        action = {"actionType": "PORT_PROBE", "portProbeAction": {"blocked": False, "portProbeDetails": [
            {"localPortDetails": {"port": p, "portName": n}, "localIpDetails": {"ipAddressV4": private_ipv4(r)},
             "remoteIpDetails": remote_ip(r, public_ipv4(r))} for p, n in r.sample([(22, "SSH"), (3389, "RDP"), (5432, "POSTGRESQL"), (80, "HTTP")], 2)]}}
    elif kind == 2:
        iid, resource = instance(r)
        ftype, title = "Trojan:EC2/BlackholeTraffic!DNS", f"Blackholed domain name queried by EC2 instance {iid}."
        action = {"actionType": "DNS_REQUEST", "dnsRequestAction": {"domain": r.choice(["malware.example.xyz", "c2.example.top"]),
                                                                    "protocol": "UDP", "blocked": r.random() < 0.5}}
    elif kind == 3:
        resource = {"resourceType": "AccessKey", "accessKeyDetails": access_key(r)}
        ftype = r.choice(["UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "Discovery:IAMUser/AnomalousBehavior",
                          "Recon:IAMUser/MaliciousIPCaller"])
        title = f"API {r.choice(['ListBuckets', 'DescribeInstances', 'GetCallerIdentity'])} was invoked from a remote host."
        action = {"actionType": "AWS_API_CALL", "awsApiCallAction": {
            "api": r.choice(["ListBuckets", "DescribeInstances", "GetCallerIdentity"]),
            "serviceName": r.choice(["s3.amazonaws.com", "ec2.amazonaws.com", "sts.amazonaws.com"]),
            "callerType": "Remote IP", "remoteIpDetails": remote_ip(r, remote), "userAgent": r.choice(UAS),
            "affectedResources": {}}}
    elif kind == 4:
        resource = {"resourceType": "S3Bucket", "accessKeyDetails": access_key(r), "s3BucketDetails": [{
            "arn": "arn:aws:s3:::customer-exports", "name": "customer-exports", "type": "Destination",
            "createdAt": 1.6e9 + r.randrange(10**7), "owner": {"id": hexs(r, 64)},
            "tags": [{"key": "data", "value": "pii"}],
            "defaultServerSideEncryption": {"encryptionType": "SSEAlgorithm", "kmsMasterKeyArn": None},
            "publicAccess": {"effectivePermission": "NOT_PUBLIC", "permissionConfiguration": {
                "bucketLevelPermissions": {"accessControlList": {"allowsPublicReadAccess": False, "allowsPublicWriteAccess": False},
                                           "bucketPolicy": {"allowsPublicReadAccess": False, "allowsPublicWriteAccess": False},
                                           "blockPublicAccess": {"ignorePublicAcls": True, "restrictPublicBuckets": True,
                                                                 "blockPublicAcls": True, "blockPublicPolicy": True}}}}}]}
        ftype, title = "Exfiltration:S3/AnomalousBehavior", "Anomalous S3 GetObject calls by a principal."
        action = {"actionType": "AWS_API_CALL", "awsApiCallAction": {
            "api": "GetObject", "serviceName": "s3.amazonaws.com", "callerType": "Remote IP",
            "remoteIpDetails": remote_ip(r, remote), "errorCode": r.choice(["", "AccessDenied"])}}
    else:
        resource = {"resourceType": "EKSCluster", "eksClusterDetails": {"name": "prod-cluster", "arn": "arn:aws:eks:us-east-1:123456789012:cluster/prod-cluster",
                                                                        "createdAt": 1635962410.342, "vpcId": f"vpc-{hexs(r, 17)}", "status": "ACTIVE"},
                    "kubernetesDetails": {"kubernetesUserDetails": {"username": "system:anonymous", "uid": "", "groups": ["system:unauthenticated"]},
                                          "kubernetesWorkloadDetails": {"name": "nginx", "type": "pods", "uid": uuid(r), "namespace": "default",
                                                                        "containers": [{"name": "nginx", "image": "nginx:1.25", "imagePrefix": ""}]}}}
        ftype, title = "Discovery:Kubernetes/TorIPCaller", "A Kubernetes API was invoked from a Tor exit node IP address."
        action = {"actionType": "KUBERNETES_API_CALL", "kubernetesApiCallAction": {
            "requestUri": r.choice(["/api", "/api/v1/namespaces/default/secrets", "/apis/apps/v1/deployments"]),
            "verb": r.choice(["get", "list", "create"]), "sourceIPs": [remote], "userAgent": "kubectl/v1.29.1",
            "remoteIpDetails": remote_ip(r, remote), "statusCode": r.choice([200, 403])}}
    rec = {"schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1", "partition": "aws", "id": fid,
           "arn": f"arn:aws:guardduty:us-east-1:123456789012:detector/{detector}/finding/{fid}", "type": ftype,
           "resource": resource,
           "service": {"serviceName": "guardduty", "detectorId": detector, "action": action, "resourceRole": "TARGET",
                       "additionalInfo": {"value": "{}", "type": "default"},
                       "evidence": {"threatIntelligenceDetails": [{"threatNames": ["Tor"], "threatListName": "ProofPoint"}]} if r.random() < 0.3 else None,
                       "eventFirstSeen": t, "eventLastSeen": t, "archived": False, "count": r.randrange(1, 200)},
           "severity": sev, "createdAt": t, "updatedAt": t, "title": title,
           "description": title + " This activity is unusual for this resource and may indicate a compromise."}
    return json.dumps(rec, separators=(",", ":"))

# -- iru.audit --------------------------------------------------------------------

ADMINS = [("cf40d6e7-20cb-4da9-84a1-9ad0b7003ca5", "admin@example.com", "Example", "Admin", "admin"),
          ("5d2b1c1e-9f0e-4a3b-8c7d-112233445566", "jdoe@example.com", "Jane", "Doe", "standard"),
          ("8e7f6a5b-4c3d-4b2a-9f1e-665544332211", "it-ops@example.com", "IT", "Ops", "admin")]

def iru(r, i):
    target_type = r.choice(["blueprint", "library_item", "device", "api_token", "user", "device"])
    action = r.choice(["create", "update", "update", "update", "delete"])
    if target_type == "blueprint":
        state = {"name": f"Blueprint {r.randrange(40)}", "library_items_added": [{"id": uuid(r), "name": r.choice(["Chrome", "Slack", "Zoom"])}],
                 "library_items_removed": [], "library_items_scoped": [{"id": uuid(r), "name": "FileVault"}]}
        comp = "library_items"
    elif target_type == "library_item":
        state = {"active": r.random() < 0.5, "label": None, "type": r.choice(["vpp-app", "custom-app", "profile"]),
                 "name": r.choice(["Example Podcast App", "Microsoft Teams", "Wi-Fi Profile"])}
        comp = ""
    elif target_type == "device":
        state = {"name": f"mac-{hexs(r, 6)}", "serial_number": hexs(r, 12).upper(), "blueprint_id": uuid(r),
                 "os_version": r.choice(["14.4", "15.3.1", "17.3"]), "lost_mode": False}
        comp = r.choice(["", "lost_mode", "blueprint"])
    elif target_type == "api_token":
        state = {"description": None, "permissions": [{"path": "/api/v1/audit/events", "http_method": "GET"},
                                                      {"path": "/api/v1/devices", "http_method": "GET"}], "label": "SIEM token"}
        comp = ""
    else:
        state = {"email": f"user{r.randrange(500)}@example.com", "role": r.choice(["standard", "admin", "auditor"]), "is_active": True}
        comp = ""
    aid, email, fn, ln, role = r.choice(ADMINS)
    api = r.random() < 0.2
    rec = {"id": f"01JNG{hexs(r, 21).upper()}", "action": action, "occurred_at": iso(i, frac=6),
           "actor_id": uuid(r) if api else aid, "actor_type": "api_token" if api else "user",
           "target_id": uuid(r), "target_type": target_type, "target_component": comp, "new_state": state,
           "metadata": r.choice([{}, {"source_id": None, "source": None}, {"ip_address": ipv4(r), "user_agent": r.choice(UAS)}])}
    if not api:
        rec["admin"] = {"id": aid, "email": email, "first_name": fn, "last_name": ln, "role": role, "is_active": True,
                        "locale": "en_US", "created_at": "2025-01-01T00:00:00.000000Z", "updated_at": "2025-01-01T00:00:00.000000Z"}
    return json.dumps(rec, separators=(",", ":"))

# -- aws.cloudfront_logs ----------------------------------------------------------

CF_FIELDS = ("date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
             "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol "
             "cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
             "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
             "sc-content-type sc-content-len sc-range-start sc-range-end")
EDGES = ["LAX1", "SEA19-C1", "FRA56-P7", "IAD89-C3", "NRT57-C2", "LHR61-P4", "GRU3-C1", "SIN2-C1"]
CT = {".html": "text/html", ".js": "application/javascript", ".webp": "image/webp", ".css": "text/css",
      ".json": "application/json", "": "text/html"}

def cf_escape(s):
    return s.replace("%", "%25").replace(" ", "%20").replace("\t", "%09").replace('"', "%22")

def cloudfront(r, i):
    stem = r.choice(["/index.html", "/static/app.3f9a1c.js", "/static/site.css", "/images/banner.webp",
                     "/api/v1/products.json", "/favicon.ico", "/", "/assets/fonts/inter.woff2"])
    ext = "." + stem.rsplit(".", 1)[1] if "." in stem.rsplit("/", 1)[1] else ""
    status = r.choice([200] * 12 + [206, 304, 304, 403, 404, 502, 503])
    result = {200: r.choice(["Hit", "Hit", "Miss", "RefreshHit"]), 206: "Hit", 304: "Hit"}.get(status, "Error")
    proto = r.choice(["https"] * 5 + ["http"])
    secs = r.choice(["0.001", "0.002", "0.012", "0.054", "0.102", "1.309"])
    nbytes = r.randrange(300, 500000)
    detailed = result if status < 500 else r.choice(["OriginDnsError", "OriginConnectError", "Error"])
    host = r.choice(["d111111abcdef8.cloudfront.net", "d222222abcdef9.cloudfront.net"])
    xhost = r.choice([host, "www.example.com", "cdn.example.com"])
    xff = "-" if r.random() < 0.8 else f"{public_ipv4(r)},\\x20{public_ipv4(r)}"
    rng = ("0", str(nbytes - 1)) if status == 206 else ("-", "-")
    row = [f"2024-03-05", f"{10 + (i // 3600) % 12:02d}:{(i // 60) % 60:02d}:{i % 60:02d}", r.choice(EDGES), str(nbytes),
           client_ip(r), r.choice(["GET"] * 8 + ["HEAD", "POST", "OPTIONS"]), host, stem, str(status),
           r.choice(["-", "-", "https://www.example.com/", "https://www.google.com/"]), cf_escape(r.choice(UAS)),
           r.choice(["-", "-", "v=3f9a1c", "q=shoes&page=2"]), r.choice(["-", "-", f"session-id={hexs(r, 16)}"]),
           result, f"{hexs(r, 40)}==", xhost, proto, str(r.randrange(20, 1500)), secs, xff,
           "TLSv1.3" if proto == "https" else "-", "TLS_AES_128_GCM_SHA256" if proto == "https" else "-", result,
           r.choice(["HTTP/2.0", "HTTP/2.0", "HTTP/1.1", "HTTP/3.0"]), "-", "-", str(r.randrange(1024, 65535)), secs,
           detailed, CT.get(ext, "application/octet-stream"), str(max(0, nbytes - 350)), rng[0], rng[1]]
    return "\t".join(row)

def main():
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    r = random.Random(42)
    gen = {"waf": waf, "route53": route53, "firewall": firewall, "guardduty": guardduty, "iru": iru,
           "cloudfront": cloudfront}[kind]
    with open(out, "w") as f:
        if kind == "cloudfront":
            f.write("#Version: 1.0\n#Fields: " + CF_FIELDS + "\n")
        for i in range(n):
            f.write(gen(r, i) + "\n")

if __name__ == "__main__":
    main()
