//! The Head of Tenant Services' review of service requests through the [`Service`]: listing
//! them by status with their age, closing one with a note, and recording the complaint one
//! became (see [`crate::service_request`] for the rules).

use chrono::{DateTime, Utc};

use crate::ports::{IdempotencyRecord, StoreError, StoredReply};
use crate::service::{IdempotencyKey, Service, ServiceError, Written};
use crate::service_request::{ServiceRequest, ServiceRequestQuery};

impl Service {
    /// Service requests matching `query`, oldest received first.
    pub async fn service_requests(
        &self,
        query: &ServiceRequestQuery,
    ) -> Result<Vec<ServiceRequest>, ServiceError> {
        Ok(self.store.list_service_requests(query).await?)
    }

    /// Closes service request `id` on review by `by`, dated `at` (default now), with `note`;
    /// answers what `render` makes of the closed request, or replays the first answer to the
    /// same key.
    pub async fn close_service_request(
        &self,
        id: &str,
        note: Option<String>,
        by: &str,
        at: Option<DateTime<Utc>>,
        idem: Option<&IdempotencyKey>,
        render: &(dyn Fn(&ServiceRequest) -> StoredReply + Send + Sync),
    ) -> Result<Written, ServiceError> {
        if let Some(w) = self.replay(idem).await? {
            return Ok(w);
        }
        let now = self.clock.now();
        let at = at.unwrap_or(now);
        if at > now {
            return Err(crate::case::CommandError::InFuture { at }.into());
        }
        let request = self
            .store
            .load_service_request(id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let expected = request.status();
        let closed = request
            .close(note, by, at)
            .map_err(crate::case::CommandError::Invalid)?;
        let reply = render(&closed);
        let record = idem.map(|k| IdempotencyRecord {
            key: k.key.clone(),
            fingerprint: k.fingerprint.clone(),
            reply: reply.clone(),
            created_at: now,
        });
        match self
            .store
            .update_service_request(closed, expected, record)
            .await
        {
            Ok(()) => Ok(Written {
                case: None,
                reply,
                access_code: None,
            }),
            Err(StoreError::DuplicateKey) => {
                self.replay(idem).await?.ok_or(ServiceError::KeyReused)
            }
            Err(StoreError::VersionConflict) => Err(ServiceError::Unavailable(
                "the service request was changed meanwhile; try again".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Records on service request `id` the complaint `reference` raised from it (escalated),
    /// unless it already names one. Called once the complaint is saved, and again on a replay
    /// of the request that raised it, so a retry completes a record a failure cut short.
    pub async fn record_escalation(&self, id: &str, reference: &str) -> Result<(), ServiceError> {
        for _ in 0..3 {
            let request = self
                .store
                .load_service_request(id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            if request.complaint.is_some() {
                return Ok(());
            }
            let expected = request.status();
            let escalated = ServiceRequest {
                complaint: Some(reference.to_string()),
                ..request
            };
            match self
                .store
                .update_service_request(escalated, expected, None)
                .await
            {
                Ok(()) => return Ok(()),
                Err(StoreError::VersionConflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Unavailable(
            "the service request is being changed by others; try again".into(),
        ))
    }
}
