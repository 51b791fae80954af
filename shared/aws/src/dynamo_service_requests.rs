//! The Head of Tenant Services' list of service requests on DynamoDB (a child module of
//! `dynamo.rs`), without a Scan: a service request item carries its status (`sr_status`) and
//! sits in `GSI1` under `GSI1PK` = `SRSTATUS#{status}`, `GSI1SK` = `{logged_at}#{id}`, so one
//! Query per status reads that status's requests oldest first (the index projects only keys;
//! each request is then read by key). An update is a conditional Put on the status read, with
//! its idempotency record, in one transaction.

use p3_domain::ports::{IdempotencyRecord, StoreError};
use p3_domain::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};

use super::{get_s, s, service_request_item, DynamoStore, Role, GSI1};

/// How many service requests a list gives when it names no limit.
const DEFAULT_LIMIT: usize = 200;

/// The `GSI1` partition of the service requests with `status`.
pub(super) fn status_partition(status: ServiceRequestStatus) -> String {
    format!("SRSTATUS#{}", status.as_str())
}

impl DynamoStore {
    pub(super) async fn list_requests(
        &self,
        query: &ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, StoreError> {
        let limit = if query.limit == 0 {
            DEFAULT_LIMIT
        } else {
            query.limit
        };
        let statuses = match query.status {
            Some(s) => vec![s],
            None => ServiceRequestStatus::ALL.to_vec(),
        };
        // (GSI1SK, id): received order across the partitions read.
        let mut found: Vec<(String, String)> = Vec::new();
        for status in statuses {
            let items = self
                .query_index(
                    "Query (service requests by status)",
                    GSI1,
                    "#pk = :pk",
                    &[("#pk", "GSI1PK"), ("#sk", "GSI1SK")],
                    vec![(":pk", s(status_partition(status)))],
                    Some("#sk"),
                )
                .await?;
            for item in &items {
                let sk = get_s(item, "GSI1SK")?;
                let id = sk.rsplit('#').next().unwrap_or_default().to_string();
                found.push((sk.to_string(), id));
            }
        }
        found.sort();
        found.truncate(limit);
        let mut out = Vec::with_capacity(found.len());
        for (_, id) in found {
            // Read by key: a request changed since the index was read is shown as it now is.
            if let Some(r) = self.load_request(&id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    pub(super) async fn update_request(
        &self,
        request: ServiceRequest,
        expected: ServiceRequestStatus,
        idempotency: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        let item = service_request_item(&request)?;
        // A request saved before statuses were kept has none: it is open.
        let condition = if expected == ServiceRequestStatus::Open {
            "attribute_exists(#pk) AND (#st = :expected OR attribute_not_exists(#st))"
        } else {
            "attribute_exists(#pk) AND #st = :expected"
        };
        let put = self.put(
            item,
            condition,
            &[("#pk", "PK"), ("#st", "sr_status")],
            vec![(":expected", s(expected.as_str()))],
        )?;
        let mut items = vec![(put, Role::Change)];
        if let Some(rec) = &idempotency {
            items.push((self.idempotency_put(rec)?, Role::Idempotency));
        }
        self.transact("TransactWriteItems (service request update)", items)
            .await
    }
}
