//! [`AnnualRecordStore`] on SQLite (schema version 5): one row per financial year and item,
//! `commentary#{requirement}` or `governing_body_response`, its body the domain's JSON.

use async_trait::async_trait;
use p3_domain::annual_record::{
    AnnualRecord, AnnualRecordStore, Commentary, GoverningBodyResponse,
};
use p3_domain::ports::StoreError;
use rusqlite::params;

use crate::fault::{from_json, to_json};
use crate::SqliteStore;

const COMMENTARY: &str = "commentary#";
const GOVERNING_BODY: &str = "governing_body_response";

impl SqliteStore {
    async fn put_item(&self, year: i32, item: String, body: String) -> Result<(), StoreError> {
        self.write(Box::new(move |conn| {
            Ok(conn
                .prepare_cached(
                    "INSERT INTO annual_records (year, item, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (year, item) DO UPDATE SET body = excluded.body",
                )?
                .execute(params![year, item, body])? as i64)
        }))
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl AnnualRecordStore for SqliteStore {
    async fn annual_record(&self, year: i32) -> Result<AnnualRecord, StoreError> {
        let rows: Vec<(String, String)> = self
            .read(move |conn| {
                let mut stmt = conn.prepare_cached(
                    "SELECT item, body FROM annual_records WHERE year = ?1 ORDER BY item",
                )?;
                let rows = stmt.query_map([year], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?;
        let mut record = AnnualRecord {
            year,
            ..AnnualRecord::default()
        };
        for (item, body) in rows {
            if let Some(code) = item.strip_prefix(COMMENTARY) {
                let c: Commentary = from_json("self-assessment commentary", &body)?;
                record.self_assessment.insert(code.to_string(), c);
            } else if item == GOVERNING_BODY {
                record.governing_body_response = Some(from_json("governing body response", &body)?);
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
        self.put_item(year, format!("{COMMENTARY}{requirement}"), body)
            .await
    }

    async fn put_governing_body_response(
        &self,
        year: i32,
        response: &GoverningBodyResponse,
    ) -> Result<(), StoreError> {
        let body = to_json("governing body response", response)?;
        self.put_item(year, GOVERNING_BODY.to_string(), body).await
    }
}
