//! Pagination as Gitea does it: `page` (from 1) and `limit` query parameters, the total in
//! `X-Total-Count` and the neighbouring pages in a `Link` header.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use serde::Deserialize;
use utoipa::IntoParams;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 30;
/// The most items one page returns, whatever the client asks.
pub const MAX_LIMIT: i64 = 50;

#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number of results to return (1-based).
    pub page: Option<i64>,
    /// Page size of results.
    pub limit: Option<i64>,
}

impl Paging {
    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }

    pub fn limit(&self) -> i64 {
        match self.limit {
            Some(l) if l > 0 => l.min(MAX_LIMIT),
            _ => DEFAULT_LIMIT,
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page() - 1).saturating_mul(self.limit())
    }

    /// The items of this page out of a whole list.
    pub fn slice<T>(&self, all: Vec<T>) -> Vec<T> {
        let offset = usize::try_from(self.offset()).unwrap_or(usize::MAX);
        let limit = usize::try_from(self.limit()).unwrap_or(0);
        all.into_iter().skip(offset).take(limit).collect()
    }

    /// `X-Total-Count` and `Link` for a page of `total` items requested at `uri`.
    pub fn headers(&self, uri: &Uri, total: i64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("x-total-count"),
            HeaderValue::from(total),
        );
        headers.insert(
            HeaderName::from_static("access-control-expose-headers"),
            HeaderValue::from_static("Link, X-Total-Count"),
        );
        let (page, limit) = (self.page(), self.limit());
        let last = ((total + limit - 1) / limit).max(1);
        let mut links = Vec::new();
        let mut link = |p: i64, rel: &str| {
            links.push(format!("<{}>; rel=\"{rel}\"", page_url(uri, p, limit)));
        };
        if page < last {
            link(page + 1, "next");
            link(last, "last");
        }
        if page > 1 {
            link(1, "first");
            link(page - 1, "prev");
        }
        if !links.is_empty()
            && let Ok(v) = HeaderValue::from_str(&links.join(","))
        {
            headers.insert(axum::http::header::LINK, v);
        }
        headers
    }
}

/// `uri` with its `page` and `limit` replaced, other parameters kept.
pub(super) fn page_url(uri: &Uri, page: i64, limit: i64) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    if let Some(q) = uri.query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            if k != "page" && k != "limit" {
                ser.append_pair(&k, &v);
            }
        }
    }
    ser.append_pair("page", &page.to_string());
    ser.append_pair("limit", &limit.to_string());
    format!("{}?{}", uri.path(), ser.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_links() {
        let p = Paging {
            page: Some(2),
            limit: Some(10),
        };
        assert_eq!((p.page(), p.limit(), p.offset()), (2, 10, 10));
        let h = p.headers(&"/api/v1/x?state=all&page=2".parse().unwrap(), 35);
        assert_eq!(h["x-total-count"], "35");
        let link = h["link"].to_str().unwrap();
        assert!(
            link.contains("</api/v1/x?state=all&page=3&limit=10>; rel=\"next\""),
            "{link}"
        );
        assert!(link.contains("page=4&limit=10>; rel=\"last\""), "{link}");
        assert!(link.contains("page=1&limit=10>; rel=\"first\""), "{link}");
        assert!(link.contains("page=1&limit=10>; rel=\"prev\""), "{link}");
        let p = Paging {
            page: Some(0),
            limit: Some(1000),
        };
        assert_eq!((p.page(), p.limit()), (1, MAX_LIMIT));
        assert_eq!(Paging::default().limit(), DEFAULT_LIMIT);
        assert!(
            !Paging::default()
                .headers(&"/a".parse().unwrap(), 3)
                .contains_key("link")
        );
        assert_eq!(p.slice((0..100).collect::<Vec<_>>()).len(), 50);
    }
}
