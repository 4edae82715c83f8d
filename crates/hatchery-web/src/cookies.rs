//! Reading and writing the site's small cookies (CSRF, flash, language). The session
//! cookie is handled by tower-sessions.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite};

pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` header value. `max_age` of `None` makes a session cookie; `Some(0)`
/// deletes it.
pub fn set(
    name: &'static str,
    value: &str,
    max_age_secs: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut c = Cookie::build((name, value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build();
    if let Some(age) = max_age_secs {
        c.set_max_age(cookie::time::Duration::seconds(age));
    }
    // Only our own ASCII names and values end up here.
    HeaderValue::from_str(&c.encoded().to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; hatchery_flash=success%3Asaved; b=2"),
        );
        assert_eq!(read(&h, "hatchery_flash").as_deref(), Some("success:saved"));
        assert_eq!(read(&h, "nope"), None);
        let v = set("lang", "zh-CN", Some(60), true);
        let s = v.to_str().unwrap_or_default();
        assert!(
            s.contains("lang=zh-CN")
                && s.contains("HttpOnly")
                && s.contains("Secure")
                && s.contains("SameSite=Lax"),
            "{s}"
        );
    }
}
