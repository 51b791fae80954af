//! Checks on `infra/template.yaml` read as a file: every role grants only actions the code
//! calls, named one by one, on named resources (least privilege). No emulator needed.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml::Value;
use support::repo;

fn template() -> Value {
    let text = std::fs::read_to_string(repo().join("infra/template.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => &t.value,
        other => other,
    }
}

fn one_or_many(v: &Value) -> Vec<&Value> {
    match untag(v) {
        Value::Sequence(items) => items.iter().collect(),
        _ => vec![v],
    }
}

/// The IAM action each AWS SDK call of ours needs, and the call as written in the code.
/// `TransactWriteItems` of conditional puts is authorised as `PutItem` on each item.
const CALLS: &[(&str, &str)] = &[
    ("dynamodb:DescribeTable", ".describe_table()"),
    ("dynamodb:GetItem", ".get_item()"),
    ("dynamodb:BatchGetItem", ".batch_get_item()"),
    ("dynamodb:Query", ".query()"),
    ("dynamodb:PutItem", ".put_item()"),
    ("dynamodb:PutItem", ".transact_write_items()"),
    ("dynamodb:UpdateItem", ".update_item()"),
    ("scheduler:CreateSchedule", ".create_schedule()"),
    ("scheduler:DeleteSchedule", ".delete_schedule()"),
    ("scheduler:ListSchedules", ".list_schedules()"),
    // SendMessageBatch is authorised as SendMessage on the queue.
    ("sqs:SendMessage", ".send_message_batch()"),
    ("ses:SendEmail", ".send_email()"),
    ("s3:PutObject", ".put_object()"),
    ("s3:GetObject", ".get_object()"),
    ("s3:DeleteObject", ".delete_object()"),
    ("s3:ListBucket", ".list_objects_v2()"),
    ("secretsmanager:GetSecretValue", ".get_secret_value()"),
];

/// Actions that are not an SDK call of ours: passing the scheduler its role when a schedule is
/// created, and what the services themselves do with the roles they assume.
const NOT_CALLS: &[&str] = &["iam:PassRole", "sqs:SendMessage", "lambda:InvokeFunction"];

/// The source of the AWS adapters, where every SDK call is made.
fn adapter_source() -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(repo().join("shared/aws/src")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    text
}

/// Every (role owner, statement) of the template: the functions' inline `Statement`s and
/// the IAM roles' policy documents. Panics on a SAM policy template or a managed policy.
fn statements(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, resource) in doc["Resources"].as_mapping().unwrap() {
        let name = name.as_str().unwrap().to_string();
        let props = &resource["Properties"];
        assert!(
            props.get("ManagedPolicyArns").is_none(),
            "{name}: a managed policy grants more than the code calls"
        );
        match resource["Type"].as_str() {
            Some("AWS::Serverless::Function") => {
                for policy in props["Policies"].as_sequence().into_iter().flatten() {
                    let map = policy.as_mapping().unwrap_or_else(|| {
                        panic!("{name}: policy {policy:?} is a managed policy, not a statement")
                    });
                    for key in map.keys() {
                        assert_eq!(
                            key.as_str(),
                            Some("Statement"),
                            "{name}: {key:?} is a SAM policy template (whole-table or \
                             whole-queue rights); name the actions instead"
                        );
                    }
                    for s in policy["Statement"].as_sequence().unwrap() {
                        out.push((name.clone(), s.clone()));
                    }
                }
            }
            Some("AWS::IAM::Role") => {
                for policy in props["Policies"].as_sequence().into_iter().flatten() {
                    for s in policy["PolicyDocument"]["Statement"].as_sequence().unwrap() {
                        out.push((name.clone(), s.clone()));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn every_role_names_each_action_it_needs_and_no_wildcard_or_managed_policy() {
    let doc = template();
    let statements = statements(&doc);
    assert!(statements.len() > 10, "the template's roles were found");
    for (owner, s) in &statements {
        assert_eq!(s["Effect"].as_str(), Some("Allow"), "{owner}: {s:?}");
        for action in one_or_many(&s["Action"]) {
            let action = untag(action).as_str().unwrap();
            assert!(
                !action.contains('*'),
                "{owner}: the action {action} is a wildcard"
            );
        }
        for resource in one_or_many(&s["Resource"]) {
            if untag(resource).as_str() == Some("*") {
                // Listing schedules takes no resource; nothing else may name every resource.
                let actions: Vec<&str> = one_or_many(&s["Action"])
                    .into_iter()
                    .map(|a| untag(a).as_str().unwrap())
                    .collect();
                assert_eq!(
                    actions,
                    ["scheduler:ListSchedules"],
                    "{owner}: only scheduler:ListSchedules may have Resource \"*\""
                );
            }
            if let Some(text) = untag(resource).as_str() {
                assert!(
                    !text.ends_with("/index/*"),
                    "{owner}: name each index the function queries, not index/*"
                );
            }
        }
    }
}

#[test]
fn every_action_a_function_is_granted_is_one_the_code_calls() {
    let source = adapter_source();
    let doc = template();
    let mut granted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (owner, s) in statements(&doc) {
        for action in one_or_many(&s["Action"]) {
            granted
                .entry(owner.clone())
                .or_default()
                .insert(untag(action).as_str().unwrap().to_string());
        }
    }
    for (owner, actions) in &granted {
        for action in actions {
            let called = CALLS
                .iter()
                .any(|(a, call)| a == action && source.contains(call));
            assert!(
                called || NOT_CALLS.contains(&action.as_str()),
                "{owner} is granted {action}, which no code in shared/aws/src calls"
            );
        }
    }
    // And the other way round: the functions that write cases can do what the store needs.
    for function in [
        "IntakeFunction",
        "AcknowledgementFunction",
        "Stage1ResponseFunction",
        "Stage2Function",
        "CasesFunction",
        "PagesFunction",
        "CaseFilesFunction",
    ] {
        let actions = &granted[function];
        for needed in [
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "sqs:SendMessage",
            "scheduler:CreateSchedule",
            "scheduler:DeleteSchedule",
            "scheduler:ListSchedules",
            "iam:PassRole",
        ] {
            assert!(actions.contains(needed), "{function} lacks {needed}");
        }
    }
    // Only intake and the pages (logging a complaint or a service request) take new
    // references (the counter is an update); stage2, which checks access codes too, counts
    // wrong ones and may update only the limit items (shared/aws/src/limit.rs).
    for (owner, actions) in &granted {
        assert_eq!(
            actions.contains("dynamodb:UpdateItem"),
            owner == "IntakeFunction" || owner == "PagesFunction" || owner == "Stage2Function",
            "{owner}: UpdateItem is the reference counter's and the resident's limits'"
        );
    }
    for (owner, s) in statements(&doc) {
        let updates = one_or_many(&s["Action"])
            .into_iter()
            .any(|a| untag(a).as_str() == Some("dynamodb:UpdateItem"));
        if updates && owner == "Stage2Function" {
            let keys = &s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            let keys: Vec<&str> = one_or_many(keys)
                .into_iter()
                .filter_map(|k| untag(k).as_str())
                .collect();
            assert_eq!(keys, ["LIMIT#*"], "{owner}: updates only the limit items");
            let actions = one_or_many(&s["Action"]);
            assert_eq!(
                actions.len(),
                1,
                "{owner}: the limit statement grants only UpdateItem"
            );
        }
    }
}

/// The `documents` function (the letters and the evidence pack, as PDF too) only reads cases:
/// the table, no index, no write, no other service but the files' bucket, no secret.
#[test]
fn the_documents_function_may_only_read_the_table() {
    let doc = template();
    let mut actions = BTreeSet::new();
    for (owner, s) in statements(&doc) {
        let s3 = one_or_many(&s["Action"])
            .into_iter()
            .any(|a| untag(a).as_str().is_some_and(|a| a.starts_with("s3:")));
        // Its files are read from the bucket (the_attachments_bucket_...).
        if owner != "DocumentsFunction" || s3 {
            continue;
        }
        assert_eq!(
            untag(&s["Resource"]).as_str(),
            Some("ComplaintsTable.Arn"),
            "the table itself, no index: {s:?}"
        );
        for a in one_or_many(&s["Action"]) {
            actions.insert(untag(a).as_str().unwrap().to_string());
        }
    }
    assert_eq!(
        actions.into_iter().collect::<Vec<_>>(),
        [
            "dynamodb:DescribeTable",
            "dynamodb:GetItem",
            "dynamodb:Query"
        ]
    );
    let vars = &doc["Resources"]["DocumentsFunction"]["Properties"]["Environment"]["Variables"];
    assert!(vars.get("OIDC_ISSUER").is_some(), "the session is checked");
    for secret in ["OIDC_COOKIE_KEY_SECRET_ID", "OIDC_CLIENT_SECRET_ID"] {
        assert!(vars.get(secret).is_none(), "{secret}: it reads no secret");
    }
}

/// The `report-pages` function (the printable reports) only reads: the table and its month
/// indexes, no write, no other service, no file, no secret; and the pages no longer read those
/// indexes.
#[test]
fn the_report_pages_function_may_only_read_the_table_and_its_month_indexes() {
    let doc = template();
    let mut granted = BTreeSet::new();
    for (owner, s) in statements(&doc) {
        if owner == "PagesFunction" {
            let resources = format!("{:?}", s["Resource"]);
            assert!(
                !resources.contains("GSI2") && !resources.contains("GSI3"),
                "the pages print no report: {s:?}"
            );
        }
        if owner != "ReportPagesFunction" {
            continue;
        }
        for a in one_or_many(&s["Action"]) {
            for r in one_or_many(&s["Resource"]) {
                let r = match untag(r).as_str() {
                    Some(r) => r.to_string(),
                    None => format!("{r:?}"),
                };
                granted.insert((untag(a).as_str().unwrap().to_string(), r));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("dynamodb:DescribeTable", "ComplaintsTable.Arn"),
        ("dynamodb:Query", "ComplaintsTable.Arn"),
        ("dynamodb:BatchGetItem", "ComplaintsTable.Arn"),
        ("dynamodb:Query", "${ComplaintsTable.Arn}/index/GSI2"),
        ("dynamodb:Query", "${ComplaintsTable.Arn}/index/GSI3"),
    ]
    .iter()
    .map(|(a, r)| (a.to_string(), r.to_string()))
    .collect();
    assert_eq!(granted, expected);
    let vars = &doc["Resources"]["ReportPagesFunction"]["Properties"]["Environment"]["Variables"];
    assert!(vars.get("OIDC_ISSUER").is_some(), "the session is checked");
    for absent in [
        "OIDC_COOKIE_KEY_SECRET_ID",
        "OIDC_CLIENT_SECRET_ID",
        "ATTACHMENTS_BUCKET",
    ] {
        assert!(
            vars.get(absent).is_none(),
            "{absent}: it reads no secret and no file"
        );
    }
}

/// The `case-files` function (the case page's files) writes cases as the other write functions
/// do but lists none and takes no reference, reads no secret, and checks the pages' session;
/// the pages no longer keep files.
#[test]
fn the_case_files_function_checks_the_session_and_reads_no_secret() {
    let doc = template();
    let mut table = BTreeSet::new();
    for (owner, s) in statements(&doc) {
        if owner != "CaseFilesFunction" {
            continue;
        }
        for a in one_or_many(&s["Action"]) {
            let a = untag(a).as_str().unwrap().to_string();
            assert!(!a.starts_with("secretsmanager:"), "no secret: {a}");
            if a.starts_with("dynamodb:") {
                for r in one_or_many(&s["Resource"]) {
                    table.insert((a.clone(), format!("{:?}", untag(r))));
                }
            }
        }
    }
    assert!(table.iter().all(|(_, r)| !r.contains("index")), "{table:?}");
    assert!(!table.iter().any(|(a, _)| a == "dynamodb:UpdateItem"));
    let props = &doc["Resources"]["CaseFilesFunction"]["Properties"];
    let vars = &props["Environment"]["Variables"];
    assert!(vars.get("OIDC_ISSUER").is_some(), "the session is checked");
    for absent in ["OIDC_COOKIE_KEY_SECRET_ID", "OIDC_CLIENT_SECRET_ID"] {
        assert!(vars.get(absent).is_none(), "{absent}: it reads no secret");
    }
    let routes: BTreeSet<(String, String)> = props["Events"]
        .as_mapping()
        .unwrap()
        .values()
        .map(|e| {
            let p = &e["Properties"];
            (
                p["Method"].as_str().unwrap().to_string(),
                untag(&p["Path"]).as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/staff/cases/{reference}/attachments"),
        ("GET", "/staff/cases/{reference}/attachments/new"),
        ("POST", "/staff/cases/{reference}/attachments/new"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(routes, expected);
}

/// The attachments bucket is private, encrypted and unversioned, forgets uploads never fetched
/// after a day, takes the presigned POST from the service's own origin, and each function
/// reaches only the prefixes, with only the S3 actions, its code uses.
#[test]
fn the_attachments_bucket_is_private_and_each_function_reaches_only_its_prefixes() {
    let doc = template();
    let bucket = &doc["Resources"]["AttachmentsBucket"]["Properties"];
    for block in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            bucket["PublicAccessBlockConfiguration"][block].as_bool(),
            Some(true),
            "{block}"
        );
    }
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
            .as_str(),
        Some("AES256")
    );
    assert!(
        bucket.get("VersioningConfiguration").is_none(),
        "a deleted file must be gone, not kept as an old version"
    );
    let rules = bucket["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .unwrap();
    for prefix in ["incoming/", "downloads/"] {
        assert!(
            rules.iter().any(|r| r["Prefix"].as_str() == Some(prefix)
                && r["ExpirationInDays"].as_u64() == Some(1)
                && r["Status"].as_str() == Some("Enabled")),
            "{prefix} expires after a day"
        );
    }
    assert!(
        rules
            .iter()
            .all(|r| matches!(r["Prefix"].as_str(), Some("incoming/") | Some("downloads/"))),
        "the cases' files expire only by the retention rule"
    );
    let cors = &bucket["CorsConfiguration"]["CorsRules"][0];
    let methods: Vec<&str> = one_or_many(&cors["AllowedMethods"])
        .into_iter()
        .filter_map(|m| m.as_str())
        .collect();
    assert_eq!(methods, ["POST"]);
    assert_eq!(
        untag(&cors["AllowedOrigins"][0]).as_str(),
        Some("BaseUrl"),
        "only the service's own pages post to it"
    );

    // (action, resource) per function, the ListBucket's prefix condition as its resource.
    let mut granted: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for (owner, s) in statements(&doc) {
        for action in one_or_many(&s["Action"]) {
            let action = untag(action).as_str().unwrap();
            if !action.starts_with("s3:") {
                continue;
            }
            for resource in one_or_many(&s["Resource"]) {
                let mut resource = untag(resource).as_str().unwrap().to_string();
                if action == "s3:ListBucket" {
                    let prefix = &s["Condition"]["StringLike"]["s3:prefix"];
                    resource = format!("{resource} prefix {}", prefix.as_str().unwrap_or("NONE"));
                }
                granted
                    .entry(owner.clone())
                    .or_default()
                    .insert((action.to_string(), resource));
            }
        }
    }
    let set = |pairs: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        pairs
            .iter()
            .map(|(a, r)| (a.to_string(), r.to_string()))
            .collect()
    };
    let cases = "${AttachmentsBucket.Arn}/cases/*";
    let incoming = "${AttachmentsBucket.Arn}/incoming/*";
    let resident = set(&[
        ("s3:PutObject", incoming),
        ("s3:GetObject", incoming),
        ("s3:DeleteObject", incoming),
        ("s3:ListBucket", "AttachmentsBucket.Arn prefix incoming/*"),
        ("s3:PutObject", cases),
        ("s3:DeleteObject", cases),
    ]);
    // The pages only sign the case page's presigned POST into the inbox (S3 authorises it as
    // their PutObject); the case-files function reads the slot and keeps the file.
    let forms_only = set(&[("s3:PutObject", incoming)]);
    let downloads = "${AttachmentsBucket.Arn}/downloads/*";
    // Intake also serves a resident the files they sent (GET /complaints/{reference}/files/{id}).
    let mut intake = resident.clone();
    intake.insert(("s3:GetObject".to_string(), cases.to_string()));
    let expected = BTreeMap::from([
        ("IntakeFunction".to_string(), intake),
        ("Stage2Function".to_string(), resident.clone()),
        // Staff's JSON API takes files through the inbox as residents do.
        ("CasesFunction".to_string(), resident.clone()),
        ("CaseFilesFunction".to_string(), resident),
        ("PagesFunction".to_string(), forms_only),
        (
            "DocumentsFunction".to_string(),
            set(&[
                ("s3:GetObject", cases),
                ("s3:ListBucket", "AttachmentsBucket.Arn prefix cases/*"),
                ("s3:PutObject", downloads),
                ("s3:GetObject", downloads),
            ]),
        ),
        (
            "ReportingFunction".to_string(),
            set(&[
                ("s3:DeleteObject", cases),
                ("s3:ListBucket", "AttachmentsBucket.Arn prefix cases/*"),
                ("s3:PutObject", "${ExportBucket.Arn}/exports/*"),
            ]),
        ),
    ]);
    assert_eq!(granted, expected);
    // The functions that reach the bucket, and only they, are told its name.
    for (name, resource) in doc["Resources"].as_mapping().unwrap() {
        let name = name.as_str().unwrap();
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let var = &resource["Properties"]["Environment"]["Variables"]["ATTACHMENTS_BUCKET"];
        let uses = expected
            .get(name)
            .is_some_and(|g| g.iter().any(|(_, r)| r.contains("AttachmentsBucket")));
        assert_eq!(
            untag(var).as_str() == Some("AttachmentsBucket"),
            uses,
            "{name}: ATTACHMENTS_BUCKET"
        );
    }
}

/// The limit items expire by the table's TTL attribute, the one the limiter writes.
#[test]
fn the_limit_counts_expire_by_the_tables_ttl_attribute() {
    let doc = template();
    let ttl = &doc["Resources"]["ComplaintsTable"]["Properties"]["TimeToLiveSpecification"];
    assert_eq!(ttl["Enabled"].as_bool(), Some(true));
    let attribute = ttl["AttributeName"].as_str().unwrap();
    let source = std::fs::read_to_string(repo().join("shared/aws/src/limit.rs")).unwrap();
    assert!(
        source.contains(&format!("\"#expires\", \"{attribute}\"")),
        "the limiter sets the TTL attribute {attribute}"
    );
}

/// Without a web ACL the stack deploys as before: no distribution, no token; with one, the
/// distribution carries it and tells the functions, by a header only it sets, that a request
/// came through it, passing on the viewer's address (CloudFront-Viewer-Address).
#[test]
fn the_optional_web_acl_puts_a_distribution_in_front_of_the_api() {
    let doc = template();
    let param = &doc["Parameters"]["WebAclArn"];
    assert_eq!(param["Default"].as_str(), Some(""));
    let condition = untag(&doc["Conditions"]["HasWebAcl"]);
    assert!(
        format!("{condition:?}").contains("WebAclArn"),
        "{condition:?}"
    );
    let edge = &doc["Resources"]["EdgeDistribution"];
    assert_eq!(edge["Type"].as_str(), Some("AWS::CloudFront::Distribution"));
    assert_eq!(edge["Condition"].as_str(), Some("HasWebAcl"));
    let config = &edge["Properties"]["DistributionConfig"];
    assert_eq!(untag(&config["WebACLId"]).as_str(), Some("WebAclArn"));
    let origin = &config["Origins"][0];
    assert!(format!("{:?}", origin["DomainName"]).contains("${Api}.execute-api"));
    assert_eq!(
        origin["CustomOriginConfig"]["OriginProtocolPolicy"].as_str(),
        Some("https-only")
    );
    let header = &origin["OriginCustomHeaders"][0];
    assert_eq!(
        header["HeaderName"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some(p3_aws::edge::EDGE_TOKEN_HEADER)
    );
    let behaviour = &config["DefaultCacheBehavior"];
    // Managed CachingDisabled and AllViewerExceptHostHeader (which adds CloudFront's headers).
    assert_eq!(
        behaviour["CachePolicyId"].as_str(),
        Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
    );
    assert_eq!(
        behaviour["OriginRequestPolicyId"].as_str(),
        Some("b689b0a8-53d0-40ab-baf2-68738e2966ac")
    );
    let methods = one_or_many(&behaviour["AllowedMethods"]);
    assert!(methods.iter().any(|m| m.as_str() == Some("POST")));
    // The functions get the header's value only when the distribution exists.
    let token = &doc["Globals"]["Function"]["Environment"]["Variables"]["EDGE_ORIGIN_TOKEN"];
    let token = format!("{token:?}");
    assert!(token.contains("HasWebAcl"), "{token}");
    assert_eq!(
        format!("{:?}", header["HeaderValue"]),
        format!(
            "{:?}",
            untag(&doc["Globals"]["Function"]["Environment"]["Variables"]["EDGE_ORIGIN_TOKEN"])
                .as_sequence()
                .unwrap()[1]
        ),
        "the header carries the value the functions compare"
    );
    assert_eq!(
        doc["Outputs"]["EdgeUrl"]["Condition"].as_str(),
        Some("HasWebAcl")
    );
}

/// `infra/waf.yaml`: the web ACL to pass as WebAclArn, in CloudFront's scope, blocking one
/// address over its rate (the public form's posts apart) and allowing everyone else.
#[test]
fn the_web_acl_template_limits_each_client_address() {
    let text = std::fs::read_to_string(repo().join("infra/waf.yaml")).unwrap();
    let doc: Value = serde_yaml::from_str(&text).unwrap();
    let acl = &doc["Resources"]["WebAcl"];
    assert_eq!(acl["Type"].as_str(), Some("AWS::WAFv2::WebACL"));
    let props = &acl["Properties"];
    assert_eq!(props["Scope"].as_str(), Some("CLOUDFRONT"));
    assert!(props["DefaultAction"].get("Allow").is_some());
    let rules = props["Rules"].as_sequence().unwrap();
    let rate_rules: Vec<&Value> = rules
        .iter()
        .filter(|r| r["Statement"].get("RateBasedStatement").is_some())
        .collect();
    assert_eq!(rate_rules.len(), 2);
    for rule in &rate_rules {
        assert!(rule["Action"].get("Block").is_some());
        let rate = &rule["Statement"]["RateBasedStatement"];
        assert_eq!(rate["AggregateKeyType"].as_str(), Some("IP"));
    }
    let form = format!(
        "{:?}",
        rate_rules[0]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    );
    assert!(
        form.contains("/complaints") && form.contains("POST"),
        "{form}"
    );
    assert!(format!("{:?}", doc["Outputs"]["WebAclArn"]["Value"]).contains("WebAcl.Arn"));
}

#[test]
fn every_function_alarms_on_errors_and_throttles_and_a_failed_export_is_reported() {
    let doc = template();
    let resources = doc["Resources"].as_mapping().unwrap();
    let alarmed = |namespace: &str, metric: &str, dimension_value: &str| {
        resources.values().any(|r| {
            r["Type"].as_str() == Some("AWS::CloudWatch::Alarm")
                && r["Properties"]["Namespace"].as_str() == Some(namespace)
                && r["Properties"]["MetricName"].as_str() == Some(metric)
                && r["Properties"]["AlarmActions"]
                    .as_sequence()
                    .is_some_and(|a| !a.is_empty())
                && (dimension_value.is_empty()
                    || r["Properties"]["Dimensions"]
                        .as_sequence()
                        .into_iter()
                        .flatten()
                        .any(|d| untag(&d["Value"]).as_str() == Some(dimension_value)))
        })
    };
    let functions: Vec<String> = resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, _)| name.as_str().unwrap().to_string())
        .collect();
    assert_eq!(functions.len(), 11);
    for function in &functions {
        assert!(
            alarmed("AWS/Lambda", "Errors", function),
            "{function}: no error alarm"
        );
        assert!(
            alarmed("AWS/Lambda", "Throttles", function),
            "{function}: no throttle alarm"
        );
    }
    assert!(
        alarmed("AWS/ApiGateway", "5xx", "Api"),
        "no alarm on the API's 5xx"
    );
    assert!(alarmed("AWS/SQS", "ApproximateNumberOfMessagesVisible", ""));
    assert!(alarmed("AWS/SES", "Reputation.BounceRate", ""));
    assert!(alarmed("AWS/SES", "Reputation.ComplaintRate", ""));
    // The monthly export, invoked asynchronously by its schedule, reports a final failure.
    let on_failure = &doc["Resources"]["ReportingFunction"]["Properties"]["EventInvokeConfig"]
        ["DestinationConfig"]["OnFailure"];
    assert_eq!(on_failure["Type"].as_str(), Some("SNS"));
    assert_eq!(
        untag(&on_failure["Destination"]).as_str(),
        Some("DeadLetterAlarmTopic")
    );
}

/// The environment variables the functions' code reads: the names given to the settings'
/// readers (`opt("…")`, `req("…")`, `url("…")`, `var("…", …)`) in the AWS wiring and the
/// sign-in settings, and the variables naming secrets.
fn variables_the_code_reads() -> BTreeSet<String> {
    let mut text = adapter_source();
    for file in ["shared/oidc/src/lib.rs", "shared/oidc/src/claims.rs"] {
        text.push_str(&std::fs::read_to_string(repo().join(file)).unwrap());
    }
    let mut names = BTreeSet::new();
    for reader in ["opt(\"", "req(\"", "url(\"", "var(\"", "(\"OIDC_"] {
        for (at, _) in text.match_indices(reader) {
            let start = at + reader.len() - if reader.starts_with("(\"O") { 5 } else { 0 };
            let name: String = text[start..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name.len() > 2 && text[start + name.len()..].starts_with('"') {
                names.insert(name);
            }
        }
    }
    names
}

/// Every variable a function's environment gets: the globals and its own.
fn variables_the_template_sets(doc: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut add = |vars: &Value| {
        for (k, _) in vars.as_mapping().into_iter().flatten() {
            names.insert(k.as_str().unwrap().to_string());
        }
    };
    add(&doc["Globals"]["Function"]["Environment"]["Variables"]);
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        add(&resource["Properties"]["Environment"]["Variables"]);
    }
    names
}

#[test]
fn every_environment_variable_the_code_reads_is_set_by_the_template() {
    let read = variables_the_code_reads();
    // The readers were found (a renamed reader would otherwise pass this test vacuously).
    for known in ["TABLE_NAME", "P3_CONFIG", "OIDC_ISSUER", "ROLE_CLAIM"] {
        assert!(read.contains(known), "{known} not found among {read:?}");
    }
    let set = variables_the_template_sets(&template());
    // Set by Lambda itself (the region) or only by the tests (an emulator's address); and the
    // two secrets, whose values come from Secrets Manager by the *_SECRET_ID variables.
    let not_from_the_template = [
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "OIDC_COOKIE_KEY",
        "OIDC_CLIENT_SECRET",
    ];
    let missing: Vec<&String> = read
        .iter()
        .filter(|name| !set.contains(*name) && !not_from_the_template.contains(&name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "read by the code but set by no function in infra/template.yaml: {missing:?}"
    );
    let unread: Vec<&String> = set.iter().filter(|name| !read.contains(*name)).collect();
    assert!(
        unread.is_empty(),
        "set by infra/template.yaml but read by no code: {unread:?}"
    );
}

/// Every function gets the configuration layer built from `infra/config`, and `P3_CONFIG` names
/// the file in it that is shipped: one the functions (and `p3 check`) accept.
#[test]
fn every_function_reads_the_configuration_file_packaged_from_infra_config() {
    let doc = template();
    let globals = &doc["Globals"]["Function"];
    let layers: Vec<&Value> = one_or_many(&globals["Layers"]);
    assert_eq!(layers.len(), 1, "{layers:?}");
    let layer_name = untag(layers[0]).as_str().unwrap().to_string();
    let layer = &doc["Resources"][layer_name.as_str()];
    assert_eq!(
        layer["Type"].as_str(),
        Some("AWS::Serverless::LayerVersion")
    );
    let content = layer["Properties"]["ContentUri"].as_str().unwrap();
    let path = globals["Environment"]["Variables"]["P3_CONFIG"]
        .as_str()
        .unwrap();
    let in_layer = path
        .strip_prefix("/opt/")
        .unwrap_or_else(|| panic!("P3_CONFIG {path} is not under /opt, where layers are"));
    let file = repo().join("infra").join(content).join(in_layer);
    let settings = p3_config::Settings::load(&file)
        .unwrap_or_else(|e| panic!("the packaged configuration is refused: {e}"));
    // As shipped it is the defaults, the same as an empty file.
    let empty = p3_config::Settings::parse("").unwrap();
    assert_eq!(settings.landlord, empty.landlord);
    assert_eq!(settings.categories, empty.categories);
    assert!(settings.policies.is_empty());
}
