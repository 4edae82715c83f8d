//! Static assets embedded in the binary and served under content-hashed URLs, so they can
//! be cached for a year and a new release is never served a stale copy. Nothing is loaded
//! from outside the site.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../web/static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../../web/static/app.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../../../web/static/favicon.svg"),
    },
];

struct Hashed {
    /// `app.3f2a9c0d1e.css`
    file: String,
    asset: Asset,
}

/// The syntax-highlighting stylesheet is generated from the highlighter's themes once,
/// at first use, so it always matches the classes the highlighter emits.
fn generated() -> Vec<Asset> {
    vec![Asset {
        name: "highlight.css",
        content_type: "text/css; charset=utf-8",
        bytes: hatchery_render::highlight_css().leak().as_bytes(),
    }]
}

fn hashed() -> &'static [Hashed] {
    static HASHED: OnceLock<Vec<Hashed>> = OnceLock::new();
    HASHED.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| Asset {
                name: a.name,
                content_type: a.content_type,
                bytes: a.bytes,
            })
            .chain(generated())
            .map(|asset| {
                let digest = hex::encode(Sha256::digest(asset.bytes));
                let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
                Hashed {
                    file: format!("{stem}.{}.{ext}", &digest[..12]),
                    asset,
                }
            })
            .collect()
    })
}

/// The URL path of an asset by its plain name, e.g. `asset_url("app.css")`.
pub fn asset_url(name: &str) -> String {
    hashed().iter().find(|h| h.asset.name == name).map_or_else(
        || format!("/assets/{name}"),
        |h| format!("/assets/{}", h.file),
    )
}

/// `GET /assets/{file}`: only the current hashed names are served.
pub async fn serve(Path(file): Path<String>) -> Response {
    match hashed().iter().find(|h| h.file == file) {
        Some(h) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(h.asset.content_type),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            h.asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_content_hashed() {
        let url = asset_url("app.css");
        assert!(
            url.starts_with("/assets/app.") && url.ends_with(".css") && url.len() > 20,
            "{url}"
        );
        assert_ne!(asset_url("app.css"), asset_url("app.js"));
    }
}
