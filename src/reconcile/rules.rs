//! Pure reconciliation rules: the state of an order in one currency, and which
//! order-level discrepancies hold. The SQL in `query.rs` classifies the same way so that
//! lists can filter and page by state in the database; a test checks they agree.

use rust_decimal::Decimal;

/// One order in one currency, as the aggregates see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPosition {
    pub order_currency: Option<String>,
    pub currency: Option<String>,
    /// The order total, when known and in this currency.
    pub total: Option<Decimal>,
    /// Σ expected refunds of returns RECEIVED or later (not canceled/rejected).
    pub expected: Decimal,
    /// Σ SUCCEEDED refunds.
    pub refunded: Decimal,
    /// Σ non-terminal refunds.
    pub pending: Decimal,
    /// Refunds of any status in this currency.
    pub refunds: i64,
    /// Returns that owe a refund in this currency.
    pub owed_returns: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReconState {
    Balanced,
    Pending,
    UnderRefunded,
    OverRefunded,
    Mismatch,
    Unverified,
    NoActivity,
}

impl ReconState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReconState::Balanced => "BALANCED",
            ReconState::Pending => "PENDING",
            ReconState::UnderRefunded => "UNDER_REFUNDED",
            ReconState::OverRefunded => "OVER_REFUNDED",
            ReconState::Mismatch => "MISMATCH",
            ReconState::Unverified => "UNVERIFIED",
            ReconState::NoActivity => "NO_ACTIVITY",
        }
    }

    pub fn parse(s: &str) -> Option<ReconState> {
        [
            ReconState::Balanced,
            ReconState::Pending,
            ReconState::UnderRefunded,
            ReconState::OverRefunded,
            ReconState::Mismatch,
            ReconState::Unverified,
            ReconState::NoActivity,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

impl OrderPosition {
    /// expected − refunded − pending.
    pub fn outstanding(&self) -> Decimal {
        self.expected - self.refunded - self.pending
    }

    /// The state, first rule that holds wins:
    /// 1. nothing refunded, pending or owed → NO_ACTIVITY;
    /// 2. refunds in a currency other than the order's → MISMATCH;
    /// 3. refunds but no known order total → UNVERIFIED;
    /// 4. refunded + pending above the order total → OVER_REFUNDED;
    /// 5. refunds still in flight → PENDING;
    /// 6. refunded below what the returns owe → UNDER_REFUNDED;
    /// 7. refunded above what the returns owe (returns exist) → MISMATCH;
    /// 8. otherwise → BALANCED.
    pub fn state(&self, tol: Decimal) -> ReconState {
        if self.refunds == 0 && self.expected.is_zero() && self.pending.is_zero() {
            return ReconState::NoActivity;
        }
        if self.refunds > 0
            && let (Some(oc), Some(c)) = (&self.order_currency, &self.currency)
            && oc != c
        {
            return ReconState::Mismatch;
        }
        if self.refunds > 0 && self.total.is_none() {
            return ReconState::Unverified;
        }
        if let Some(total) = self.total
            && self.refunded + self.pending > total + tol
        {
            return ReconState::OverRefunded;
        }
        if self.pending > Decimal::ZERO {
            return ReconState::Pending;
        }
        if self.refunded < self.expected - tol {
            return ReconState::UnderRefunded;
        }
        if self.owed_returns > 0 && self.refunded > self.expected + tol {
            return ReconState::Mismatch;
        }
        ReconState::Balanced
    }

    /// OVER_REFUND: refunded + pending above the order total (+ tolerance).
    pub fn over_refund(&self, tol: Decimal) -> bool {
        self.total
            .is_some_and(|t| self.refunded + self.pending > t + tol)
    }

    /// AMOUNT_MISMATCH: every refund terminal, returns owe something, and what was refunded
    /// differs from it beyond tolerance.
    pub fn amount_mismatch(&self, tol: Decimal) -> bool {
        self.refunds > 0
            && self.pending.is_zero()
            && self.owed_returns > 0
            && (self.refunded - self.expected).abs() > tol
    }

    /// UNDER_REFUND (before the grace period is applied): returns owe more than what was
    /// refunded or is on its way.
    pub fn under_refund(&self, tol: Decimal) -> bool {
        self.owed_returns > 0 && self.refunded + self.pending < self.expected - tol
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn pos() -> OrderPosition {
        OrderPosition {
            order_currency: Some("USD".into()),
            currency: Some("USD".into()),
            total: Some(dec!(100)),
            expected: dec!(0),
            refunded: dec!(0),
            pending: dec!(0),
            refunds: 0,
            owed_returns: 0,
        }
    }

    const TOL: Decimal = dec!(0.01);

    #[test]
    fn an_order_without_refunds_or_owed_returns_has_no_activity() {
        assert_eq!(pos().state(TOL), ReconState::NoActivity);
    }

    #[test]
    fn partial_refunds_summing_to_the_expected_amount_balance() {
        let p = OrderPosition {
            expected: dec!(49.99),
            refunded: dec!(49.99),
            refunds: 2,
            owed_returns: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::Balanced);
        assert_eq!(p.outstanding(), dec!(0));
        // Within tolerance is still balanced.
        let p = OrderPosition {
            refunded: dec!(49.98),
            ..p
        };
        assert_eq!(p.state(TOL), ReconState::Balanced);
        assert!(!p.amount_mismatch(TOL));
    }

    #[test]
    fn each_state_has_its_rule() {
        let p = OrderPosition {
            refunded: dec!(10),
            pending: dec!(5),
            refunds: 2,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::Pending);
        let p = OrderPosition {
            expected: dec!(50),
            refunded: dec!(20),
            refunds: 1,
            owed_returns: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::UnderRefunded);
        assert!(p.under_refund(TOL) && p.amount_mismatch(TOL));
        let p = OrderPosition {
            refunded: dec!(100),
            pending: dec!(0.02),
            refunds: 2,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::OverRefunded);
        assert!(p.over_refund(TOL));
        let p = OrderPosition {
            expected: dec!(20),
            refunded: dec!(50),
            refunds: 1,
            owed_returns: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::Mismatch);
        let p = OrderPosition {
            currency: Some("EUR".into()),
            total: None,
            refunded: dec!(5),
            refunds: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::Mismatch);
        let p = OrderPosition {
            order_currency: None,
            total: None,
            refunded: dec!(5),
            refunds: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::Unverified);
        // A goodwill refund without a return, within the order total, balances.
        let p = OrderPosition {
            refunded: dec!(5),
            refunds: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::Balanced);
    }

    #[test]
    fn a_failed_refund_alone_is_not_money_moved() {
        // Failed refunds count as refunds (activity) but move no money.
        let p = OrderPosition {
            expected: dec!(15),
            refunds: 1,
            owed_returns: 1,
            ..pos()
        };
        assert_eq!(p.state(TOL), ReconState::UnderRefunded);
    }

    #[test]
    fn states_round_trip_by_name() {
        for s in [
            "BALANCED",
            "PENDING",
            "UNDER_REFUNDED",
            "OVER_REFUNDED",
            "MISMATCH",
            "UNVERIFIED",
            "NO_ACTIVITY",
        ] {
            assert_eq!(ReconState::parse(s).unwrap().as_str(), s);
        }
    }
}
