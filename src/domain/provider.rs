//! The five providers and their URL slugs.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Rebound,
    Rainforest,
    Baback,
    AlchemyPay,
    UniPayment,
}

impl Provider {
    pub const ALL: [Provider; 5] = [
        Provider::Rebound,
        Provider::Rainforest,
        Provider::Baback,
        Provider::AlchemyPay,
        Provider::UniPayment,
    ];

    /// The slug used in `/webhooks/{slug}` and stored in the database.
    pub fn slug(self) -> &'static str {
        match self {
            Provider::Rebound => "rebound",
            Provider::Rainforest => "rainforest",
            Provider::Baback => "baback",
            Provider::AlchemyPay => "alchemypay",
            Provider::UniPayment => "unipayment",
        }
    }

    /// The environment variable that enables the provider (named in 404 answers).
    pub fn secret_variable(self) -> &'static str {
        match self {
            Provider::Rebound => "REFUND_RECON_REBOUND_TOKEN",
            Provider::Rainforest => "REFUND_RECON_RAINFOREST_SECRET",
            Provider::Baback => "REFUND_RECON_BABACK_SECRET",
            Provider::AlchemyPay => "REFUND_RECON_ALCHEMYPAY_SECRET",
            Provider::UniPayment => "REFUND_RECON_UNIPAYMENT_SECRET",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown provider `{0}`")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|p| p.slug() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for p in Provider::ALL {
            assert_eq!(p.slug().parse::<Provider>().unwrap(), p);
        }
        assert!("stripe".parse::<Provider>().is_err());
    }
}
