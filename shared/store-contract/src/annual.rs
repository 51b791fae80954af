//! The checks every [`AnnualRecordStore`] keeps: what the landlord writes per financial year
//! (the self-assessment's commentary, the governing body's response) reads back as written,
//! each year apart, a second write of an item replacing the first.

use std::sync::Arc;

use chrono::Duration;
use p3_domain::annual_record::{
    AnnualRecord, AnnualRecordStore, Commentary, GoverningBodyResponse,
};

use crate::{d, t0};

fn commentary(text: &str, plan: Option<&str>) -> Commentary {
    Commentary {
        commentary: Some(text.to_string()),
        action_plan: plan.map(str::to_string),
        updated_by: "head@p3.example".into(),
        updated_at: t0(),
    }
}

/// A year with nothing written reads as an empty record of that year; what is written reads
/// back whole, only in its own year; writing an item again replaces it, leaving the others.
pub async fn annual_records_round_trip_per_year_and_item(store: Arc<dyn AnnualRecordStore>) {
    let empty = store.annual_record(2025).await.expect("read an empty year");
    assert_eq!(
        empty,
        AnnualRecord {
            year: 2025,
            ..AnnualRecord::default()
        }
    );

    let first = commentary("Acknowledged within five working days.", None);
    store
        .put_commentary(2025, "6.2", &first)
        .await
        .expect("write a commentary");
    let second = commentary(
        "Points defined, with £ and “quotes” kept.",
        Some("Train officers by June."),
    );
    store
        .put_commentary(2025, "5.14-5.15", &second)
        .await
        .expect("write another");
    let response = GoverningBodyResponse {
        text: "The board accepts the report.\nIt asks for quarterly updates.".into(),
        given_on: Some(d(2026, 7, 15)),
        updated_by: "head@p3.example".into(),
        updated_at: t0(),
    };
    store
        .put_governing_body_response(2025, &response)
        .await
        .expect("write the response");
    store
        .put_commentary(2024, "6.2", &commentary("Last year's.", None))
        .await
        .expect("write another year");

    let read = store.annual_record(2025).await.expect("read the year");
    assert_eq!(read.year, 2025);
    assert_eq!(read.self_assessment.len(), 2);
    assert_eq!(read.self_assessment["6.2"], first);
    assert_eq!(read.self_assessment["5.14-5.15"], second);
    assert_eq!(read.governing_body_response.as_ref(), Some(&response));

    let replaced = Commentary {
        commentary: None,
        action_plan: Some("Review in the autumn.".into()),
        updated_by: "other@p3.example".into(),
        updated_at: t0() + Duration::days(1),
    };
    store
        .put_commentary(2025, "6.2", &replaced)
        .await
        .expect("replace a commentary");
    let read = store.annual_record(2025).await.expect("read again");
    assert_eq!(read.self_assessment["6.2"], replaced);
    assert_eq!(read.self_assessment["5.14-5.15"], second);

    let other = store
        .annual_record(2024)
        .await
        .expect("read the other year");
    assert_eq!(other.self_assessment.len(), 1);
    assert_eq!(other.governing_body_response, None);
    assert_eq!(
        store
            .annual_record(2026)
            .await
            .expect("read a later year")
            .self_assessment
            .len(),
        0
    );
}
