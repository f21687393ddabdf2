//! Small builders shared by the migrations.

use sea_orm_migration::prelude::*;

/// A plain (or unique) index named after its table and columns.
pub fn index<T, C>(table: T, columns: &[C], unique: bool) -> IndexCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
{
    let table_name = table.clone().into_iden().to_string();
    let col_names: Vec<String> = columns
        .iter()
        .map(|c| c.clone().into_iden().to_string())
        .collect();
    let mut stmt = Index::create();
    stmt.name(format!(
        "{}_{}_{}",
        if unique { "ux" } else { "ix" },
        table_name,
        col_names.join("_")
    ))
    .table(table)
    .if_not_exists();
    for c in columns {
        stmt.col(c.clone());
    }
    if unique {
        stmt.unique();
    }
    stmt
}

/// A foreign key from `table.column` to `target.id`.
pub fn foreign<T, C, R, I>(
    table: T,
    column: C,
    target: R,
    target_id: I,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    R: IntoIden + Clone + 'static,
    I: IntoIden + Clone + 'static,
{
    ForeignKey::create()
        .name(format!(
            "fk_{}_{}",
            table.clone().into_iden(),
            column.clone().into_iden()
        ))
        .from(table, column)
        .to(target, target_id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// Creates every index in order.
pub async fn create_indexes(
    manager: &SchemaManager<'_>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for i in indexes {
        manager.create_index(i).await?;
    }
    Ok(())
}

/// Drops tables in order (dependents first).
pub async fn drop_tables<T: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    tables: Vec<T>,
) -> Result<(), DbErr> {
    for t in tables {
        manager
            .drop_table(Table::drop().table(t).if_exists().to_owned())
            .await?;
    }
    Ok(())
}
