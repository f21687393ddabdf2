//! `POST /api/v1/admin/imports/{kind}`: a CSV or NDJSON file as the request body.
//!
//! The body is spooled to a file in the data directory as it arrives (bounded memory,
//! `[imports] max_file_bytes`), then imported all or nothing.

use axum::Json;
use axum::body::Body as RawBody;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::AppState;
use super::extract::{ApiPath, Regulator};
use super::openapi::StaffErrors;
use fangxin_core::error::AppError;

use crate::http::error::ApiResult;
use fangxin_core::imports::{self, Format, ImportReport, Kind, Spool};

#[utoipa::path(
    post,
    path = "/api/v1/admin/imports/{kind}",
    tag = "regulator",
    summary = "Import a CSV or NDJSON file, all or nothing",
    params(("kind" = String, Path, description = "merchants, penalties or complaints")),
    request_body(content((String = "text/csv"), (String = "application/x-ndjson")), description = "The file: UTF-8 CSV with a header row, or one JSON object a line"),
    responses((status = 200, description = "Imported", body = ImportReport), (status = 422, description = "Rejected: the report lists every bad row; nothing was written", body = super::error::Problem, content_type = "application/problem+json"), StaffErrors),
    security(("bearer" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    Regulator(actor): Regulator,
    ApiPath(kind): ApiPath<String>,
    headers: HeaderMap,
    body: RawBody,
) -> ApiResult<Json<ImportReport>> {
    let kind = Kind::parse(&kind).ok_or_else(|| AppError::NotFound {
        code: "not_found",
        message: format!("no import of {kind:?}: merchants, penalties or complaints"),
    })?;
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let format = Format::from_content_type(content_type).ok_or_else(|| {
        AppError::UnsupportedMediaType {
            code: "unsupported_media_type",
            message: format!(
                "send the file as text/csv (UTF-8, header row) or application/x-ndjson, not {content_type:?}"
            ),
        }
    })?;
    let spool = Spool::new(&state.settings.imports_dir())?;
    let max = state.settings.imports.max_file_bytes;
    let mut file = tokio::fs::File::create(spool.path())
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import spool: {e}")))?;
    let mut received = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| AppError::invalid("invalid_body", format!("the upload broke off: {e}")))?;
        received += chunk.len() as u64;
        if received > max {
            return Err(AppError::TooLarge {
                code: "file_too_large",
                message: format!(
                    "an import file has at most {max} bytes; use `fangxin import` for larger files"
                ),
            }
            .into());
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("import spool: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import spool: {e}")))?;
    drop(file);
    let ctx = state.settings.import_context(&state.scoring);
    let report = imports::run(
        &state.db,
        kind,
        format,
        &spool.path(),
        &ctx,
        &actor,
        fangxin_core::clock::now(),
        &|_| {},
    )
    .await?;
    if !report.accepted {
        return Err(AppError::Rejected {
            code: "import_rejected",
            message: format!(
                "{} of {} rows are bad; nothing was imported",
                report.invalid_rows, report.rows
            ),
            details: Box::new(serde_json::to_value(&report).unwrap_or_default()),
        }
        .into());
    }
    state.notifier.changed().await;
    Ok(Json(report))
}
