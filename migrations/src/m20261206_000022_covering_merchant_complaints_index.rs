use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index before: a merchant's complaints by day, each row then read from the table.
const BY_DAY: &str = "ix_complaints_merchant_id_received_at";
/// The index after: the same keys, carrying the columns a score reads.
const WITH_FACTS: &str = "ix_complaints_merchant_facts";

/// A rescore reads, for every merchant of a batch, its complaints of the last three years:
/// the id, kind, status, days received and accepted, whether answered (`responded_at`,
/// which the one writer of answers sets with the answer), and the complainant. A district
/// whose complaints arrived over years, merchant after merchant, keeps each merchant's
/// complaints on pages of their own: on PostgreSQL a batch of 2,000 merchants with 22,000
/// complaints touched 19,000 table pages, two thirds of the server's time in a full
/// rescore at ten million complaints. Carried in the index (`INCLUDE`), the columns are
/// read from the index's own pages in key order, an index-only scan once the table is
/// vacuumed. The full rescore went from 91 to 64 s; a large import's pass pays about 6 %
/// for the wider entries (docs/benchmarks.md).
///
/// SQLite keeps the narrow index: its rescore of the million-merchant district was as
/// fast with a covering index (31–33 s either way), while a large import, which makes its
/// indexes again at the end, took 0.8 s longer to make the wider one.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        // The new index first: a merchant's complaints are never without one.
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX {WITH_FACTS} ON complaints (merchant_id, received_at) \
             INCLUDE (id, kind, status, accepted_at, responded_at, complainant_key)"
        ))
        .await?;
        db.execute_unprepared(&format!("DROP INDEX {BY_DAY}"))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX {BY_DAY} ON complaints (merchant_id, received_at)"
        ))
        .await?;
        db.execute_unprepared(&format!("DROP INDEX {WITH_FACTS}"))
            .await?;
        Ok(())
    }
}
