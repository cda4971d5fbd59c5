//! The `Decimal` scalar: money as a JSON string ("49.99") in and out. Numbers are refused
//! because a JSON number may already have been through a float.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use rust_decimal::Decimal;

use crate::domain::money::parse_decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalScalar(pub Decimal);

#[Scalar(name = "Decimal")]
/// An exact decimal number written as a string, e.g. "49.99".
impl ScalarType for DecimalScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => parse_decimal(s)
                .map(DecimalScalar)
                .map_err(|e| InputValueError::custom(e.to_string())),
            _ => Err(InputValueError::custom(
                "Decimal must be a string such as \"49.99\" (numbers may have lost precision)",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{ScalarType, Value};
    use proptest::prelude::*;

    use super::DecimalScalar;

    #[test]
    fn decimals_are_strings_only() {
        let d = DecimalScalar::parse(Value::String("49.99".into())).unwrap();
        assert_eq!(d.to_value(), Value::String("49.99".into()));
        assert!(DecimalScalar::parse(Value::from(49.99)).is_err());
        assert!(DecimalScalar::parse(Value::String("abc".into())).is_err());
    }

    proptest! {
        #[test]
        fn the_decimal_and_datetime_scalars_never_panic(s in "\\PC{0,64}") {
            let _ = DecimalScalar::parse(Value::String(s.clone()));
            let _ = <chrono::DateTime<chrono::Utc> as ScalarType>::parse(Value::String(s));
        }
    }
}
