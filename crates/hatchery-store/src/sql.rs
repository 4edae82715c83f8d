//! Small pieces every query module shares: values bound to statements assembled at run
//! time, LIKE patterns taken literally, and decoding of common columns.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::issues::Person;
use crate::{Backend, Store, StoreError};

impl Store {
    /// ` FOR UPDATE` (` FOR UPDATE OF <alias>` with `of`, so a join locks only that
    /// table's row) on PostgreSQL, where a SELECT in a transaction locks nothing by itself;
    /// nothing on SQLite, which has no row locks and whose write transactions
    /// ([`Store::write_tx`]) already exclude each other.
    pub(crate) fn row_lock(&self, of: Option<&str>) -> String {
        match (self.backend(), of) {
            (Backend::Postgres, None) => " FOR UPDATE".to_owned(),
            (Backend::Postgres, Some(alias)) => format!(" FOR UPDATE OF {alias}"),
            (Backend::Sqlite, _) => String::new(),
        }
    }
}

/// Values bound to a statement assembled at run time, numbered as they are pushed: each
/// push returns its placeholder (`$1`, `$2`, ...) to splice into the SQL text.
#[derive(Default)]
pub(crate) struct Binds(Vec<Bind>);

enum Bind {
    Int(i64),
    Text(String),
}

impl Binds {
    pub(crate) fn int(&mut self, v: i64) -> String {
        self.0.push(Bind::Int(v));
        format!("${}", self.0.len())
    }

    pub(crate) fn text(&mut self, v: String) -> String {
        self.0.push(Bind::Text(v));
        format!("${}", self.0.len())
    }

    pub(crate) fn apply<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for b in &self.0 {
            q = match b {
                Bind::Int(v) => q.bind(*v),
                Bind::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

/// A LIKE pattern matching `term` anywhere, with `%`, `_` and `\` taken literally (used
/// with `ESCAPE '\'`).
pub(crate) fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A [`Person`] from the three columns `id, name, display_name` starting at `i`, all NULL
/// when the account is gone (a left join that found nothing).
pub(crate) fn person_at(row: &AnyRow, i: usize) -> Result<Option<Person>, sqlx::Error> {
    let id: Option<i64> = row.try_get(i)?;
    Ok(match id {
        Some(id) => Some(Person {
            id,
            name: row.try_get(i + 1)?,
            display_name: row.try_get(i + 2)?,
        }),
        None => None,
    })
}

/// The people of rows whose first three columns are `id, name, display_name`; rows of
/// a gone account are left out.
pub(crate) fn persons(rows: &[AnyRow]) -> Result<Vec<Person>, StoreError> {
    rows.iter()
        .filter_map(|r| person_at(r, 0).transpose())
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A value stored as its `as_str` spelling; anything else is a corrupted row.
pub(crate) fn parse_col<T: std::str::FromStr>(s: &str) -> Result<T, sqlx::Error> {
    s.parse::<T>()
        .map_err(|_| sqlx::Error::Decode(format!("unexpected stored value {s:?}").into()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(super::like_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }
}
