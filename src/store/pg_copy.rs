//! Rows in Postgres's binary `COPY ... FROM STDIN (FORMAT binary)` format: the framing of
//! the protocol's documentation (a signature, a tuple's field count, each field's length),
//! with every value encoded by sqlx's own `Encode`, byte for byte as it would be sent as a
//! bound parameter.
//!
//! Clicks are written this way on Postgres: `COPY` inserts a page's worth of rows at a time
//! (one WAL record and one buffer lock per page, not per row) and skips the planner and the
//! executor that an `INSERT ... SELECT FROM UNNEST(...)` runs.
//!
//! The binary format carries no types: each value must be encoded as its column's type
//! (`i64` for `BIGINT`, `&str` for `TEXT`, ...), and each row must have its table's
//! field count. A mismatch is refused by Postgres as an invalid binary representation or
//! a bad copy format, which the recorder retries rather than drops
//! ([`super::error_kind`]); every click test on Postgres writes through this path.

use sqlx::{
    Encode, Postgres,
    encode::IsNull,
    postgres::{PgArgumentBuffer, PgConnection},
};

/// The 11-byte signature, then the flags and the header extension's length (both 0).
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The field count that ends the data.
const TRAILER: i16 = -1;

/// A buffer of rows in the binary `COPY` format, for a table's `columns` columns.
pub(super) struct BinaryCopy {
    buffer: PgArgumentBuffer,
    columns: i16,
    in_row: i16,
}

impl BinaryCopy {
    pub(super) fn new(columns: i16) -> Self {
        let mut buffer = PgArgumentBuffer::default();
        buffer.extend_from_slice(HEADER);
        Self {
            buffer,
            columns,
            in_row: columns,
        }
    }

    /// Starts a row; its `columns` values follow.
    pub(super) fn row(&mut self) -> &mut Self {
        debug_assert_eq!(self.in_row, self.columns, "a row was left unfinished");
        self.buffer.extend_from_slice(&self.columns.to_be_bytes());
        self.in_row = 0;
        self
    }

    /// Adds the row's next value: its length (-1 for NULL), then its bytes.
    pub(super) fn value<'q, T: Encode<'q, Postgres>>(
        &mut self,
        value: T,
    ) -> Result<&mut Self, sqlx::Error> {
        let start = self.buffer.len();
        self.buffer.extend_from_slice(&[0; 4]);
        let length = match value.encode_by_ref(&mut self.buffer) {
            Ok(IsNull::No) => i32::try_from(self.buffer.len() - start - 4)
                .map_err(|_| sqlx::Error::Encode("a value longer than 2 GiB".into()))?,
            Ok(IsNull::Yes) => {
                self.buffer.truncate(start + 4);
                -1
            }
            Err(error) => return Err(sqlx::Error::Encode(error)),
        };
        self.buffer[start..start + 4].copy_from_slice(&length.to_be_bytes());
        self.in_row += 1;
        Ok(self)
    }

    /// Sends the rows through `COPY statement FROM STDIN (FORMAT binary)` on `connection`
    /// (inside its transaction, if it is in one) and returns how many were stored.
    pub(super) async fn send(
        mut self,
        connection: &mut PgConnection,
        statement: &str,
    ) -> Result<u64, sqlx::Error> {
        debug_assert_eq!(self.in_row, self.columns, "a row was left unfinished");
        self.buffer.extend_from_slice(&TRAILER.to_be_bytes());
        let data = std::mem::take(&mut *self.buffer);
        let mut copy = connection.copy_in_raw(statement).await?;
        if let Err(error) = copy.send(data).await {
            copy.abort(error.to_string()).await.ok();
            return Err(error);
        }
        copy.finish().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_framed_as_the_protocol_says() {
        let mut copy = BinaryCopy::new(3);
        copy.row()
            .value(7_i64)
            .unwrap()
            .value(None::<&str>)
            .unwrap();
        copy.value("é").unwrap();
        let mut bytes = HEADER.to_vec();
        bytes.extend_from_slice(&3_i16.to_be_bytes());
        bytes.extend_from_slice(&8_i32.to_be_bytes());
        bytes.extend_from_slice(&7_i64.to_be_bytes());
        bytes.extend_from_slice(&(-1_i32).to_be_bytes());
        bytes.extend_from_slice(&2_i32.to_be_bytes());
        bytes.extend_from_slice("é".as_bytes());
        assert_eq!(&copy.buffer[..], &bytes[..]);
        assert_eq!(HEADER.len(), 19);
    }
}
