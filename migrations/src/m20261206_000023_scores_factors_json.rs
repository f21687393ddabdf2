use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// On PostgreSQL a score's factors are kept as `json`, the text as written, not `jsonb`.
/// Nothing queries inside them: they are written whole by the scores' one writer and read
/// whole to explain a score. Converting each write to `jsonb` cost ~7 µs of the server's
/// CPU a score against ~1.5 µs to check it as `json` (a full rescore writes a million),
/// and every read converted it back (docs/benchmarks.md, issue #15). The change rewrites
/// the table under an exclusive lock (22 s for a million scores on the 2-core machine),
/// which also packs it at its fill factor. A server that was running while it ran fails
/// its reads of scores on the connections that had prepared them ("cached plan must not
/// change result type") until those connections are replaced: restart such servers after
/// migrating. SQLite keeps JSON as text either way.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE scores ALTER COLUMN factors TYPE json USING factors::json",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE scores ALTER COLUMN factors TYPE jsonb USING factors::jsonb",
                )
                .await?;
        }
        Ok(())
    }
}
