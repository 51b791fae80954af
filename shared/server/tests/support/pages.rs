//! Staff pages over real HTTP, signed in with a bearer token: a page as a browser asks for it,
//! the CSRF token of its form, and a form posted as a browser posts it.

/// A page as a browser asks for it: its status and its HTML.
pub async fn page(c: &reqwest::Client, url: &str, token: &str) -> (u16, String) {
    let res = c
        .get(url)
        .header("accept", "text/html")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The hidden `csrf_token` of the page's form (the sign-out form carries the session's on
/// every staff page).
pub fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .expect("a form with a CSRF token")
        + "name=\"csrf_token\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

/// A URL-encoded form posted as a browser posts it: the status, the `Location` and the body.
pub async fn post_form(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    form: &[(&str, &str)],
) -> (u16, String, String) {
    let res = c
        .post(url)
        .bearer_auth(token)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, res.text().await.unwrap())
}
