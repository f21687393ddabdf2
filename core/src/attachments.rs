//! Evidence an enterprise attaches to an objection or a credit-repair application: at most
//! [`MAX_FILES`] files of at most [`MAX_BYTES`] each, photographs (JPEG, PNG) or PDF. The
//! type is judged from the file's first bytes, never from its name or what the browser
//! said, and a file is only ever sent back as a download. Only the regulator and the
//! enterprise that attached it read it. This module is the table's one writer; the
//! objection and repair services call it inside their own transaction, so an application
//! and its evidence are recorded together or not at all.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::store::entities::attachment;

/// The largest file taken.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most files one application carries.
pub const MAX_FILES: usize = 3;

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file that passed the checks, with its type.
#[derive(Debug, Clone)]
pub struct Evidence {
    file_name: String,
    content_type: &'static str,
    bytes: Vec<u8>,
}

/// What an attachment is, without its bytes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: i64,
    pub owner_kind: String,
    pub owner_id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// The type a file's first bytes show, among those taken.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A file name fit to show and to send back: its last path part, without control
/// characters or quotes, at most 100 characters.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
        .take(100)
        .collect();
    match cleaned.trim() {
        "" => "附件".to_owned(),
        n => n.to_owned(),
    }
}

/// Checks uploads before anything is written: how many, how large, what type. Empty file
/// inputs (a form sent without choosing a file) are left out.
pub fn check(uploads: Vec<Upload>) -> AppResult<Vec<Evidence>> {
    let uploads: Vec<Upload> = uploads
        .into_iter()
        .filter(|u| !u.bytes.is_empty())
        .collect();
    if uploads.len() > MAX_FILES {
        return Err(AppError::invalid_field(
            "evidence",
            "too_many_attachments",
            format!("at most {MAX_FILES} files can be attached"),
        ));
    }
    uploads
        .into_iter()
        .map(|u| {
            if u.bytes.len() > MAX_BYTES {
                return Err(AppError::invalid_field(
                    "evidence",
                    "attachment_too_large",
                    format!("a file has at most {MAX_BYTES} bytes"),
                ));
            }
            let content_type = sniff(&u.bytes).ok_or_else(|| {
                AppError::invalid_field(
                    "evidence",
                    "invalid_attachment",
                    "attach JPEG or PNG photographs or PDF documents",
                )
            })?;
            Ok(Evidence {
                file_name: clean_name(&u.file_name),
                content_type,
                bytes: u.bytes,
            })
        })
        .collect()
}

/// Records checked evidence for an application; call it inside the application's
/// transaction.
pub(crate) async fn record<C: ConnectionTrait>(
    txn: &C,
    merchant_id: i64,
    (owner_kind, owner_id): (&str, i64),
    evidence: Vec<Evidence>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    for e in evidence {
        attachment::Entity::insert(attachment::ActiveModel {
            merchant_id: Set(merchant_id),
            owner_kind: Set(owner_kind.to_owned()),
            owner_id: Set(owner_id),
            file_name: Set(e.file_name),
            content_type: Set(e.content_type.to_owned()),
            size_bytes: Set(e.bytes.len() as i64),
            sha256: Set(hex::encode(Sha256::digest(&e.bytes))),
            content: Set(e.bytes),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// The attachments of applications of one kind, without their bytes, oldest first.
pub async fn of<C: ConnectionTrait>(
    db: &C,
    owner_kind: &str,
    owner_ids: impl IntoIterator<Item = i64>,
) -> AppResult<Vec<AttachmentInfo>> {
    let rows: Vec<(i64, String, i64, String, String, i64)> = attachment::Entity::find()
        .select_only()
        .columns([
            attachment::Column::Id,
            attachment::Column::OwnerKind,
            attachment::Column::OwnerId,
            attachment::Column::FileName,
            attachment::Column::ContentType,
            attachment::Column::SizeBytes,
        ])
        .filter(attachment::Column::OwnerKind.eq(owner_kind))
        .filter(attachment::Column::OwnerId.is_in(owner_ids))
        .order_by_asc(attachment::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, owner_kind, owner_id, file_name, content_type, size_bytes)| AttachmentInfo {
                id,
                owner_kind,
                owner_id,
                file_name,
                content_type,
                size_bytes,
            },
        )
        .collect())
}

/// One attachment with its bytes, for the regulator or, when `for_merchant` is given,
/// only for the enterprise that attached it (another's is "not found").
pub async fn get<C: ConnectionTrait>(
    db: &C,
    id: i64,
    for_merchant: Option<i64>,
) -> AppResult<(AttachmentInfo, Vec<u8>)> {
    let not_found = || AppError::NotFound {
        code: "attachment_not_found",
        message: format!("no attachment {id}"),
    };
    let a = attachment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    if for_merchant.is_some_and(|m| m != a.merchant_id) {
        return Err(not_found());
    }
    Ok((
        AttachmentInfo {
            id: a.id,
            owner_kind: a.owner_kind,
            owner_id: a.owner_id,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
        },
        a.content,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            file_name: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn photographs_and_pdfs_are_taken_by_their_bytes_not_their_names() {
        let ok = check(vec![
            upload("C:\\整改\\照片.jpg", b"\xFF\xD8\xFF\xE0rest"),
            upload("receipt.png", b"\x89PNG\r\n\x1a\nrest"),
            upload("", b""),
        ])
        .unwrap();
        assert_eq!(ok.len(), 2, "an empty file input is no file");
        assert_eq!(ok[0].file_name, "照片.jpg");
        assert_eq!(ok[1].content_type, "image/png");
        let html = check(vec![upload("photo.jpg", b"<html><script>")]).unwrap_err();
        assert_eq!(html.code(), "invalid_attachment");
        assert_eq!(html.field(), Some("evidence"));
    }

    #[test]
    fn size_and_count_are_bounded() {
        let big = vec![0xFF; MAX_BYTES + 1];
        let mut big = big;
        big[..3].copy_from_slice(b"\xFF\xD8\xFF");
        assert_eq!(
            check(vec![upload("a.jpg", &big)]).unwrap_err().code(),
            "attachment_too_large"
        );
        let four = (0..4).map(|_| upload("a.pdf", b"%PDF-1.7")).collect();
        assert_eq!(check(four).unwrap_err().code(), "too_many_attachments");
    }

    #[test]
    fn a_file_name_is_fit_to_show_and_send() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\"b;c\r\n.pdf"), "abc.pdf");
        assert_eq!(clean_name("  "), "附件");
    }
}
