//! Reading idempotency replies kept by releases before [`StoredReply`] was typed: those kept
//! the HTTP answer itself (a status code, its body, a content type). A record answers retries
//! for a day, so the stores read this format only in the day after an upgrade; it can go with
//! the first release after that. It is the one place the domain sees a status code.

use crate::ports::{ReplyView, ResidentPage, StoredReply};

/// The reply a record of the earlier format meant: `303` sent a resident's form on to their
/// page (`body` its address), `201` answered a creation with its view, anything else a change.
pub fn decode(status: u16, body: String) -> Result<StoredReply, String> {
    if status == 303 {
        return resident_page(&body).ok_or_else(|| format!("not a resident's page: {body}"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| format!("the reply is not JSON: {e}"))?;
    let reference = ["reference", "id"]
        .iter()
        .find_map(|k| json.get(*k).and_then(|v| v.as_str()))
        .unwrap_or_default()
        .to_string();
    let view = ReplyView {
        reference,
        version: json.get("version").and_then(|v| v.as_u64()),
        body,
    };
    Ok(if status == 201 {
        StoredReply::Created(view)
    } else {
        StoredReply::Changed(view)
    })
}

/// `/complaints/{reference}/confirmation?code={code}` or `/complaints/{reference}?code={code}`.
fn resident_page(path: &str) -> Option<StoredReply> {
    let (path, code) = path.split_once("?code=")?;
    let rest = path.strip_prefix("/complaints/")?;
    let (reference, page) = match rest.strip_suffix("/confirmation") {
        Some(reference) => (reference, ResidentPage::Confirmation),
        None => (rest, ResidentPage::Case),
    };
    (!reference.is_empty() && !reference.contains('/')).then(|| StoredReply::ToResident {
        reference: reference.to_string(),
        access_code: code.to_string(),
        page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_reply_sends_the_resident_to_the_same_page() {
        assert_eq!(
            decode(
                303,
                "/complaints/CMP-2026-00001/confirmation?code=AB12-CD34".into()
            ),
            Ok(StoredReply::ToResident {
                reference: "CMP-2026-00001".into(),
                access_code: "AB12-CD34".into(),
                page: ResidentPage::Confirmation,
            })
        );
        assert_eq!(
            decode(303, "/complaints/CMP-2026-00001?code=x&y".into()),
            Ok(StoredReply::ToResident {
                reference: "CMP-2026-00001".into(),
                access_code: "x&y".into(),
                page: ResidentPage::Case,
            })
        );
        assert!(decode(303, "/elsewhere".into()).is_err());
    }

    #[test]
    fn a_view_keeps_its_body_reference_and_version() {
        let body = r#"{"reference":"CMP-2026-00002","version":3,"status":"received"}"#;
        assert_eq!(
            decode(201, body.into()),
            Ok(StoredReply::Created(ReplyView {
                reference: "CMP-2026-00002".into(),
                version: Some(3),
                body: body.into(),
            }))
        );
        assert_eq!(
            decode(200, body.into()),
            Ok(StoredReply::Changed(ReplyView {
                reference: "CMP-2026-00002".into(),
                version: Some(3),
                body: body.into(),
            }))
        );
        let request = r#"{"id":"SR-2026-00001","description":"Tap"}"#;
        assert_eq!(
            decode(201, request.into()),
            Ok(StoredReply::Created(ReplyView {
                reference: "SR-2026-00001".into(),
                version: None,
                body: request.into(),
            }))
        );
    }
}
