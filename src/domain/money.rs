//! Money: an exact `Decimal` amount in an explicit ISO 4217 currency. Minor-unit conversion
//! uses the currency's exponent from the `iso_currency` tables, never a float.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A validated ISO 4217 alphabetic currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("currency {0} has no minor unit")]
    NoMinorUnit(String),
    #[error("amount `{0}` is not a decimal number")]
    BadAmount(String),
    #[error("amount {0} overflows")]
    Overflow(String),
}

impl Currency {
    /// Parses a code in any case (`usd`, `USD`).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        iso_currency::Currency::from_code(&code.trim().to_ascii_uppercase())
            .map(Currency)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point of the minor unit (USD 2, JPY 0, BHD 3).
    pub fn exponent(self) -> Result<u32, MoneyError> {
        self.0
            .exponent()
            .map(u32::from)
            .ok_or_else(|| MoneyError::NoMinorUnit(self.code().to_owned()))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Parses a major-unit amount given as text ("49.99").
    pub fn from_major_str(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        parse_decimal(amount).map(|a| Money::new(a, currency))
    }

    /// Converts an integer amount in minor units (cents) using the currency's exponent.
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        let exp = currency.exponent()?;
        let amount = Decimal::try_from_i128_with_scale(i128::from(minor), exp)
            .map_err(|_| MoneyError::Overflow(minor.to_string()))?;
        Ok(Money::new(amount, currency))
    }

    /// The amount in minor units, if it is a whole number of them.
    pub fn to_minor(&self) -> Result<Option<i64>, MoneyError> {
        let exp = self.currency.exponent()?;
        let scaled = self
            .amount
            .checked_mul(Decimal::from(10_i64.pow(exp)))
            .ok_or_else(|| MoneyError::Overflow(self.amount.to_string()))?;
        if scaled.fract().is_zero() {
            Ok(i64::try_from(scaled.trunc()).ok())
        } else {
            Ok(None)
        }
    }

    /// The amount rounded for display at the currency's exponent, keeping any extra
    /// precision the provider sent (never rounds away digits that are not zero).
    pub fn normalized(&self) -> Decimal {
        let exp = self.currency.exponent().unwrap_or(2);
        let mut d = self.amount.normalize();
        if d.scale() < exp {
            d.rescale(exp);
        }
        d
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.normalized(), self.currency)
    }
}

/// The most decimal places an amount may carry (with at most 10¹² major units, every
/// stored amount then sums exactly in the database on both backends).
pub const MAX_DECIMALS: u32 = 6;

/// Refuses amounts the ledger could not sum exactly: more than 10¹² major units, or
/// non-zero digits beyond the sixth decimal place.
pub fn check_storable(d: Decimal) -> Result<(), MoneyError> {
    if d.abs() >= Decimal::from(1_000_000_000_000_i64) {
        return Err(MoneyError::Overflow(d.to_string()));
    }
    if d.normalize().scale() > MAX_DECIMALS {
        return Err(MoneyError::BadAmount(format!(
            "{d} (more than {MAX_DECIMALS} decimal places)"
        )));
    }
    Ok(())
}

/// Parses a decimal written as text, accepting plain and scientific notation but never
/// going through a float.
pub fn parse_decimal(s: &str) -> Result<Decimal, MoneyError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(MoneyError::BadAmount(s.to_owned()));
    }
    t.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| MoneyError::BadAmount(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd() -> Currency {
        Currency::parse("usd").unwrap()
    }

    #[test]
    fn currency_codes_are_validated_case_insensitively() {
        assert_eq!(usd().code(), "USD");
        assert!(matches!(
            Currency::parse("USDT"),
            Err(MoneyError::UnknownCurrency(_))
        ));
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn minor_units_follow_the_iso_exponent() {
        assert_eq!(Money::from_minor(4999, usd()).unwrap().amount, dec!(49.99));
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::from_minor(4999, jpy).unwrap().amount, dec!(4999));
        let bhd = Currency::parse("BHD").unwrap();
        assert_eq!(Money::from_minor(4999, bhd).unwrap().amount, dec!(4.999));
    }

    #[test]
    fn to_minor_is_exact_or_none() {
        let m = Money::new(dec!(49.99), usd());
        assert_eq!(m.to_minor().unwrap(), Some(4999));
        let m = Money::new(dec!(49.995), usd());
        assert_eq!(m.to_minor().unwrap(), None);
    }

    #[test]
    fn normalized_keeps_currency_scale_and_extra_precision() {
        assert_eq!(
            Money::new(dec!(15.00000000), usd())
                .normalized()
                .to_string(),
            "15.00"
        );
        assert_eq!(
            Money::new(dec!(15), usd()).normalized().to_string(),
            "15.00"
        );
        assert_eq!(
            Money::new(dec!(15.125), usd()).normalized().to_string(),
            "15.125"
        );
    }

    #[test]
    fn storable_amounts_are_bounded_in_size_and_decimals() {
        assert!(check_storable(dec!(999999999999.999999)).is_ok());
        assert!(check_storable(dec!(15.00000000)).is_ok());
        assert!(check_storable(dec!(1000000000000)).is_err());
        assert!(check_storable(dec!(33.3333333)).is_err());
    }

    #[test]
    fn decimals_parse_without_floats() {
        assert_eq!(parse_decimal("9.90000000").unwrap(), dec!(9.9));
        assert_eq!(parse_decimal(" 0.1 ").unwrap(), dec!(0.1));
        assert_eq!(parse_decimal("1e2").unwrap(), dec!(100));
        assert!(parse_decimal("abc").is_err());
        assert!(parse_decimal("").is_err());
    }
}
