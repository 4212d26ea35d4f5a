//! What kind of failure a database error is, on either backend: the database cannot serve
//! right now (unreachable, disk full, read-only files, locked, statement cancelled) — a
//! retry later may succeed; or the data itself was refused — no retry can mend it.

use sqlx::{error::DatabaseError, sqlite::SqliteError};

/// A database error's code: SQLite's primary result code, or Postgres's SQLSTATE.
enum Code {
    Sqlite(u32),
    Postgres(String),
}

fn code_of(error: &dyn DatabaseError) -> Code {
    let code = error.code().unwrap_or_default();
    if error.try_downcast_ref::<SqliteError>().is_some() {
        // Extended result codes carry the primary one in their low byte.
        return Code::Sqlite(code.parse::<u32>().unwrap_or(0) & 0xff);
    }
    Code::Postgres(code.into_owned())
}

/// Whether an error says the database cannot serve right now, rather than that the
/// statement or its data is wrong.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => match code_of(error.as_ref()) {
            // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN, PROTOCOL.
            Code::Sqlite(code) => matches!(code, 5 | 6 | 8 | 10 | 13 | 14 | 15),
            // Connection, insufficient resources, operator intervention (shutdown,
            // statement timeout), system error, refused logins; and the database not
            // accepting connections (55000) or gone (3D000).
            Code::Postgres(code) => {
                ["08", "28", "53", "57", "58"]
                    .iter()
                    .any(|class| code.starts_with(class))
                    || code == "55000"
                    || code == "3D000"
            }
        },
        _ => false,
    }
}

/// Whether an error may have left the connections opened before it unusable even once the
/// fault is gone: an I/O error, a connection cut by the server, or SQLite's read-only,
/// I/O error, full disk and cannot-open (a connection opened while the files were
/// read-only stays read-only). Not a busy database or an exhausted pool: those pass.
pub fn spoils_connections(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => match code_of(error.as_ref()) {
            Code::Sqlite(code) => matches!(code, 8 | 10 | 13 | 14),
            Code::Postgres(code) => {
                code.starts_with("08") || code.starts_with("57P") || code == "55000"
            }
        },
        _ => false,
    }
}

/// Whether a write failed because of the data itself (a bad value, a constraint), which no
/// retry can mend.
pub fn is_about_the_data(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    match code_of(error.as_ref()) {
        // TOOBIG, CONSTRAINT, MISMATCH, RANGE.
        Code::Sqlite(code) => matches!(code, 18 | 19 | 20 | 25),
        Code::Postgres(code) => postgres_code_is_about_the_data(&code),
    }
}

/// Data exceptions and integrity constraint violations, except the two that `COPY`'s
/// binary format answers for a mistake of the code rather than of a click: an invalid
/// binary representation (22P03: the code and the table disagree on a column's type) and
/// bad copy file format (22P04: a wrong field count or size). Refusing those would drop
/// every click; retrying keeps them until a fixed release writes them.
fn postgres_code_is_about_the_data(code: &str) -> bool {
    const COPY_FORMAT_MISTAKES: [&str; 2] = ["22P03", "22P04"];
    (code.starts_with("22") && !COPY_FORMAT_MISTAKES.contains(&code)) || code.starts_with("23")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_and_io_failures_are_unavailability() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::other("x"))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_about_the_data(&sqlx::Error::PoolTimedOut));
    }

    #[test]
    fn bad_values_and_constraints_are_about_the_data_but_a_copy_format_mismatch_is_not() {
        assert!(postgres_code_is_about_the_data("22001")); // string too long
        assert!(postgres_code_is_about_the_data("22021")); // bad UTF-8
        assert!(postgres_code_is_about_the_data("23505")); // unique violation
        assert!(!postgres_code_is_about_the_data("22P03")); // invalid binary representation
        assert!(!postgres_code_is_about_the_data("22P04")); // bad copy file format
        assert!(!postgres_code_is_about_the_data("42804")); // datatype mismatch
        assert!(!postgres_code_is_about_the_data("08006")); // connection failure
    }
}
