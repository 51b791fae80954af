//! A browser's post of an upload form (`multipart/form-data`) straight to the bucket.

use p3_domain::inbox::UploadForm;

/// Posts a form as a browser does: `multipart/form-data`, its fields in order, the file last.
/// `${filename}` in the key is replaced with the file's name, as S3 does and moto does not.
pub async fn post_as_browser(form: &UploadForm, filename: &str, bytes: &[u8]) -> reqwest::Response {
    let boundary = "----p3-test-boundary-7d1a";
    let mut body = Vec::new();
    for (name, value) in &form.fields {
        let value = if name == "key" {
            value.replace("${filename}", filename)
        } else {
            value.clone()
        };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(&form.url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("the emulator answers")
}
