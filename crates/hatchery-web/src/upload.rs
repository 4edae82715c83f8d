//! Streaming an HTTP body into a release asset, for the API (multipart field `attachment`
//! or a raw body) and the web form (multipart): chunks go to
//! [`hatchery_service::releases::AssetUpload`] as they arrive, so nothing is held in memory
//! and an upload over the limit stops at the limit.

use axum::body::Body;
use axum::extract::multipart::Field;
use hatchery_service::releases::{AssetUpload, ReleaseError};
use http_body_util::BodyExt;

/// Why streaming stopped.
#[derive(Debug)]
pub enum UploadFailure {
    /// The service refused (too large, ...); the upload's file is gone.
    Refused(ReleaseError),
    /// The request body broke off or was not valid multipart.
    BadBody(String),
}

impl From<ReleaseError> for UploadFailure {
    fn from(e: ReleaseError) -> UploadFailure {
        UploadFailure::Refused(e)
    }
}

/// Feeds a raw request body to `upload`.
pub async fn from_body(upload: &mut AssetUpload, body: Body) -> Result<(), UploadFailure> {
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| UploadFailure::BadBody(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            upload.write(&data).await?;
        }
    }
    Ok(())
}

/// Feeds one multipart field to `upload`.
pub async fn from_field(
    upload: &mut AssetUpload,
    field: &mut Field<'_>,
) -> Result<(), UploadFailure> {
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| UploadFailure::BadBody(e.body_text()))?
    {
        upload.write(&chunk).await?;
    }
    Ok(())
}

/// Reads a small multipart text field (at most `max` bytes; more is an error).
pub async fn small_text(field: &mut Field<'_>, max: usize) -> Result<String, UploadFailure> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| UploadFailure::BadBody(e.body_text()))?
    {
        if out.len() + chunk.len() > max {
            return Err(UploadFailure::BadBody(format!(
                "the field {:?} is longer than {max} bytes",
                field.name().unwrap_or_default()
            )));
        }
        out.extend_from_slice(&chunk);
    }
    String::from_utf8(out).map_err(|_| UploadFailure::BadBody("a field is not UTF-8".into()))
}
