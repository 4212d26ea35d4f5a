//! Booleans that read back from both backends through the `Any` driver.
//!
//! Postgres has `BOOLEAN`; SQLite stores 0/1 in an `INTEGER` column (the `Any` driver
//! cannot map SQLite's `BOOLEAN` declared type). [`DbBool`] decodes either.

use sqlx::{
    Any, Decode, Type,
    any::{AnyTypeInfo, AnyTypeInfoKind, AnyValueRef},
    error::BoxDynError,
};

/// A boolean column of either backend. Binding a plain `bool` works on both already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbBool(pub bool);

impl From<DbBool> for bool {
    fn from(value: DbBool) -> Self {
        value.0
    }
}

impl Type<Any> for DbBool {
    fn type_info() -> AnyTypeInfo {
        <bool as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        ty.kind() == AnyTypeInfoKind::Bool || ty.kind().is_integer()
    }
}

impl<'r> Decode<'r, Any> for DbBool {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        match <bool as Decode<Any>>::decode(value.clone()) {
            Ok(flag) => Ok(Self(flag)),
            Err(_) => <i64 as Decode<Any>>::decode(value).map(|number| Self(number != 0)),
        }
    }
}
