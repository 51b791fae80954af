//! The Head of Tenant Services' list of service requests: by status, oldest received first,
//! through an index; a request closes once, and a change made meanwhile is a conflict.

use std::sync::Arc;

use chrono::Duration;
use p3_domain::ports::{CaseStore, StoreError};
use p3_domain::service_request::{ServiceRequest, ServiceRequestQuery, ServiceRequestStatus};

use crate::{idem, service_request, t0};

async fn ids(store: &dyn CaseStore, status: Option<ServiceRequestStatus>) -> Vec<String> {
    store
        .list_service_requests(&ServiceRequestQuery { status, limit: 0 })
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect()
}

/// Service requests are listed by status, oldest received first; closing one moves it from
/// `open` to `closed` with its idempotency record; closing it again from `open` is a conflict
/// and writes nothing; a limit cuts the list.
pub async fn service_requests_list_by_status_and_close_once(store: Arc<dyn CaseStore>) {
    let mut saved: Vec<ServiceRequest> = Vec::new();
    for days in [3, 1, 2] {
        let id = store.next_service_request_id(2026).await.expect("id");
        let r = ServiceRequest {
            logged_at: t0() - Duration::days(days),
            ..service_request(&id)
        };
        store
            .save_service_request(r.clone(), None)
            .await
            .expect("save");
        saved.push(r);
    }
    let oldest_first = vec![
        saved[0].id.clone(),
        saved[2].id.clone(),
        saved[1].id.clone(),
    ];
    assert_eq!(
        ids(store.as_ref(), Some(ServiceRequestStatus::Open)).await,
        oldest_first
    );
    assert_eq!(ids(store.as_ref(), None).await, oldest_first);
    assert!(ids(store.as_ref(), Some(ServiceRequestStatus::Closed))
        .await
        .is_empty());

    let closed = saved[2]
        .close(Some("Fan replaced".into()), "hts@p3housing.invalid", t0())
        .expect("closes");
    store
        .update_service_request(
            closed.clone(),
            ServiceRequestStatus::Open,
            Some(idem("close-key", "{\"closed\":1}")),
        )
        .await
        .expect("update");
    assert_eq!(
        store.load_service_request(&closed.id).await.expect("load"),
        Some(closed.clone())
    );
    assert_eq!(
        ids(store.as_ref(), Some(ServiceRequestStatus::Closed)).await,
        vec![closed.id.clone()]
    );
    assert_eq!(
        ids(store.as_ref(), Some(ServiceRequestStatus::Open)).await,
        [saved[0].id.clone(), saved[1].id.clone()]
    );
    assert!(store
        .idempotent_reply("close-key")
        .await
        .expect("read")
        .is_some());

    // Judged on a stale read: it was open, it is closed now.
    let stale = ServiceRequest {
        complaint: Some("CMP-2026-00001".into()),
        ..saved[2].clone()
    };
    assert_eq!(
        store
            .update_service_request(stale, ServiceRequestStatus::Open, None)
            .await,
        Err(StoreError::VersionConflict)
    );
    assert_eq!(
        store.load_service_request(&closed.id).await.expect("load"),
        Some(closed)
    );

    // Escalated: its own status.
    let escalated = ServiceRequest {
        complaint: Some("CMP-2026-00002".into()),
        ..saved[0].clone()
    };
    store
        .update_service_request(escalated, ServiceRequestStatus::Open, None)
        .await
        .expect("update");
    assert_eq!(
        ids(store.as_ref(), Some(ServiceRequestStatus::Escalated)).await,
        [saved[0].id.clone()]
    );
    let first = store
        .list_service_requests(&ServiceRequestQuery {
            status: None,
            limit: 2,
        })
        .await
        .expect("list");
    assert_eq!(first.len(), 2);
}
