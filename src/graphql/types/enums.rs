//! GraphQL enums mirroring the domain enums.

use async_graphql::Enum;

use crate::domain::{Provider, RefundStatus, ReturnStatus};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "Provider")]
pub enum ProviderGql {
    #[graphql(name = "REBOUND")]
    Rebound,
    #[graphql(name = "RAINFOREST")]
    Rainforest,
    #[graphql(name = "BABACK")]
    Baback,
    #[graphql(name = "ALCHEMYPAY")]
    AlchemyPay,
    #[graphql(name = "UNIPAYMENT")]
    UniPayment,
}

impl From<ProviderGql> for Provider {
    fn from(p: ProviderGql) -> Self {
        match p {
            ProviderGql::Rebound => Provider::Rebound,
            ProviderGql::Rainforest => Provider::Rainforest,
            ProviderGql::Baback => Provider::Baback,
            ProviderGql::AlchemyPay => Provider::AlchemyPay,
            ProviderGql::UniPayment => Provider::UniPayment,
        }
    }
}

impl From<Provider> for ProviderGql {
    fn from(p: Provider) -> Self {
        match p {
            Provider::Rebound => ProviderGql::Rebound,
            Provider::Rainforest => ProviderGql::Rainforest,
            Provider::Baback => ProviderGql::Baback,
            Provider::AlchemyPay => ProviderGql::AlchemyPay,
            Provider::UniPayment => ProviderGql::UniPayment,
        }
    }
}

/// Reads a provider slug stored in the database.
pub fn provider_from_db(slug: &str) -> ProviderGql {
    slug.parse::<Provider>()
        .map(Into::into)
        .unwrap_or(ProviderGql::Rebound)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RefundStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatusGql {
    Pending,
    Approved,
    Processing,
    InReview,
    Succeeded,
    Failed,
    Canceled,
    Rejected,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ReturnStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ReturnStatusGql {
    Requested,
    Approved,
    InTransit,
    Received,
    Inspected,
    Resolved,
    Canceled,
    Rejected,
}

macro_rules! mirror {
    ($gql:ty, $dom:ty, [$($v:ident),+]) => {
        impl From<$gql> for $dom {
            fn from(s: $gql) -> Self { match s { $(<$gql>::$v => <$dom>::$v),+ } }
        }
        impl From<$dom> for $gql {
            fn from(s: $dom) -> Self { match s { $(<$dom>::$v => <$gql>::$v),+ } }
        }
    };
}

mirror!(
    RefundStatusGql,
    RefundStatus,
    [
        Pending, Approved, Processing, InReview, Succeeded, Failed, Canceled, Rejected
    ]
);
mirror!(
    ReturnStatusGql,
    ReturnStatus,
    [
        Requested, Approved, InTransit, Received, Inspected, Resolved, Canceled, Rejected
    ]
);

/// Reads a refund status stored in the database.
pub fn refund_status_from_db(s: &str) -> RefundStatusGql {
    s.parse::<RefundStatus>()
        .map(Into::into)
        .unwrap_or(RefundStatusGql::Pending)
}

/// Reads a return status stored in the database.
pub fn return_status_from_db(s: &str) -> ReturnStatusGql {
    s.parse::<ReturnStatus>()
        .map(Into::into)
        .unwrap_or(ReturnStatusGql::Requested)
}
