//! `GET /robots.txt`: keeps well-behaved crawlers off the pages that cost the most to make
//! and multiply without end (every commit × every file: blame, history of a path, archives,
//! comparisons, commit pages, raw files, issue searches, git's endpoints), while leaving
//! repository home pages, trees and files, issues and the incubator indexable. Paths are matched as
//! prefixes with `*` wildcards, which every major crawler understands.

use axum::http::header;
use axum::response::IntoResponse;

const ROBOTS: &str = "\
User-agent: *
Disallow: /api/
Disallow: /user/
Disallow: /*/*/blame/
Disallow: /*/*/commits/
Disallow: /*/*/commit/
Disallow: /*/*/compare
Disallow: /*/*/archive/
Disallow: /*/*/raw/
Disallow: /*/*/info/refs
Disallow: /*/*/git-upload-pack
Disallow: /*/*/issues?*q=
Allow: /
";

pub async fn robots() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        ROBOTS,
    )
}
