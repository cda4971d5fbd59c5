//! `Amount`: a money amount column read exactly on every backend. SeaORM reads a SQLite
//! `Decimal` through `f64`; this type reads SQLite's exact text instead (and PostgreSQL's
//! NUMERIC as it is), so no stored amount ever passes through a float.

use std::{fmt, str::FromStr};

use rust_decimal::Decimal;
use sea_orm::{
    ColIdx, QueryResult, TryGetError, TryGetable,
    sea_query::{ArrayType, ColumnType, Nullable, Value, ValueType, ValueTypeErr},
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(pub Decimal);

impl From<Decimal> for Amount {
    fn from(d: Decimal) -> Self {
        Amount(d)
    }
}

impl From<Amount> for Decimal {
    fn from(a: Amount) -> Self {
        a.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<Amount> for Value {
    fn from(a: Amount) -> Self {
        Value::Decimal(Some(a.0))
    }
}

impl Nullable for Amount {
    fn null() -> Value {
        Value::Decimal(None)
    }
}

impl ValueType for Amount {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::Decimal(Some(d)) => Ok(Amount(d)),
            Value::String(Some(s)) => Decimal::from_str(&s).map(Amount).map_err(|_| ValueTypeErr),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "Amount".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::Decimal
    }

    fn column_type() -> ColumnType {
        ColumnType::Decimal(None)
    }
}

impl TryGetable for Amount {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        // SQLite keeps the exact text; PostgreSQL refuses NUMERIC as text and is read as
        // NUMERIC. Integers appear when a SQLite expression yields a whole number.
        match String::try_get_by(res, idx) {
            Ok(s) => Decimal::from_str(&s)
                .or_else(|_| Decimal::from_scientific(&s))
                .map(Amount)
                .map_err(|e| {
                    TryGetError::DbErr(sea_orm::DbErr::Type(format!("amount `{s}`: {e}")))
                }),
            Err(TryGetError::Null(n)) => Err(TryGetError::Null(n)),
            Err(_) => match i64::try_get_by(res, idx) {
                Ok(i) => Ok(Amount(Decimal::from(i))),
                Err(TryGetError::Null(n)) => Err(TryGetError::Null(n)),
                Err(_) => Decimal::try_get_by(res, idx).map(Amount),
            },
        }
    }
}
