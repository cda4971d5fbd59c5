//! Reconciliation settings: tolerance, grace periods and per-provider stuck limits.

use std::collections::HashMap;

use chrono::Duration;
use rust_decimal::Decimal;

use crate::domain::{Provider, RefundStatus};

#[derive(Debug, Clone)]
pub struct ReconSettings {
    /// Differences up to this amount (in any currency) count as equal.
    pub tolerance: Decimal,
    /// How long a received return may wait for its refund before UNDER_REFUND.
    pub under_refund_grace: Duration,
    /// How long a refund may stay without an order before ORPHAN_REFUND.
    pub orphan_grace: Duration,
    /// How long a refund may stay non-terminal before STUCK_REFUND, by provider.
    pub stuck_default: Duration,
    pub stuck_in_review: Duration,
    pub stuck_by_provider: HashMap<Provider, Duration>,
    /// Window in which two refunds of one order with the same amount are duplicates.
    pub duplicate_window: Duration,
    /// How often the background sweep re-checks time-based rules.
    pub sweep_interval: std::time::Duration,
}

impl Default for ReconSettings {
    fn default() -> Self {
        ReconSettings {
            tolerance: Decimal::new(1, 2),
            under_refund_grace: Duration::hours(72),
            orphan_grace: Duration::hours(72),
            stuck_default: Duration::days(7),
            stuck_in_review: Duration::days(3),
            stuck_by_provider: HashMap::new(),
            duplicate_window: Duration::hours(24),
            sweep_interval: std::time::Duration::from_secs(300),
        }
    }
}

impl ReconSettings {
    /// The stuck limit for a refund of `provider` in `status`.
    pub fn stuck_limit(&self, provider: Provider, status: RefundStatus) -> Duration {
        if status == RefundStatus::InReview {
            return self.stuck_in_review;
        }
        self.stuck_by_provider
            .get(&provider)
            .copied()
            .unwrap_or(self.stuck_default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_review_has_its_own_limit_and_providers_may_override() {
        let mut s = ReconSettings::default();
        s.stuck_by_provider
            .insert(Provider::UniPayment, Duration::days(10));
        assert_eq!(
            s.stuck_limit(Provider::Rainforest, RefundStatus::Processing),
            Duration::days(7)
        );
        assert_eq!(
            s.stuck_limit(Provider::UniPayment, RefundStatus::Pending),
            Duration::days(10)
        );
        assert_eq!(
            s.stuck_limit(Provider::UniPayment, RefundStatus::InReview),
            Duration::days(3)
        );
    }
}
