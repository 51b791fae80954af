//! [`AnnualRecordStore`] on DynamoDB (a child module of `dynamo.rs`): what the landlord writes
//! per financial year, in one partition per year, `PK` = `YEAR#{year}`, one item per
//! requirement's commentary (`SK` = `COMMENTARY#{requirement}`) and one for the governing
//! body's response (`SK` = `GOVERNING_BODY`), each with `body` (the domain's JSON). A year is
//! read with one strongly consistent Query of its partition; a write is one PutItem replacing
//! its item.

use async_trait::async_trait;
use p3_domain::annual_record::{
    AnnualRecord, AnnualRecordStore, Commentary, GoverningBodyResponse,
};
use p3_domain::ports::StoreError;

use super::{from_json, get_s, key, s, sdk_error, to_json, DynamoStore, ReturnConsumedCapacity};

const COMMENTARY: &str = "COMMENTARY#";
const GOVERNING_BODY: &str = "GOVERNING_BODY";

fn year_pk(year: i32) -> String {
    format!("YEAR#{year}")
}

impl DynamoStore {
    async fn put_annual_item(&self, year: i32, sk: &str, body: String) -> Result<(), StoreError> {
        let mut item = key(year_pk(year), sk);
        item.insert("body".into(), s(body));
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| sdk_error("PutItem (annual record)", e))?;
        self.record_use(true, out.consumed_capacity());
        Ok(())
    }
}

#[async_trait]
impl AnnualRecordStore for DynamoStore {
    async fn annual_record(&self, year: i32) -> Result<AnnualRecord, StoreError> {
        let items = self
            .query_all(
                "Query (annual record)",
                None,
                "#pk = :pk",
                &[("#pk", "PK")],
                vec![(":pk", s(year_pk(year)))],
                None,
            )
            .await?;
        let mut record = AnnualRecord {
            year,
            ..AnnualRecord::default()
        };
        for item in &items {
            let sk = get_s(item, "SK")?;
            let body = get_s(item, "body")?;
            if let Some(code) = sk.strip_prefix(COMMENTARY) {
                let c: Commentary = from_json("self-assessment commentary", body)?;
                record.self_assessment.insert(code.to_string(), c);
            } else if sk == GOVERNING_BODY {
                record.governing_body_response = Some(from_json("governing body response", body)?);
            }
        }
        Ok(record)
    }

    async fn put_commentary(
        &self,
        year: i32,
        requirement: &str,
        commentary: &Commentary,
    ) -> Result<(), StoreError> {
        let body = to_json("self-assessment commentary", commentary)?;
        self.put_annual_item(year, &format!("{COMMENTARY}{requirement}"), body)
            .await
    }

    async fn put_governing_body_response(
        &self,
        year: i32,
        response: &GoverningBodyResponse,
    ) -> Result<(), StoreError> {
        let body = to_json("governing body response", response)?;
        self.put_annual_item(year, GOVERNING_BODY, body).await
    }
}
