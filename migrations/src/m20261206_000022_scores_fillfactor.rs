use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// On PostgreSQL the scores table keeps half of each page free. A full rescore rewrites
/// every score; with full pages each new version went to another page and into all three
/// of the table's indexes, and the table grew by its own size each time (992 MB to 2.9 GB
/// over two rescores of a million merchants). With room on the page the new version stays
/// there (a heap-only update: no index entries, the old version pruned on the page), and
/// the table keeps its size (docs/benchmarks.md, issue #15). Rows written before keep
/// their pages until rewritten; `VACUUM FULL scores` in a quiet hour repacks them at once.
/// SQLite has no such setting.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE scores SET (fillfactor = 50)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE scores RESET (fillfactor)")
                .await?;
        }
        Ok(())
    }
}
