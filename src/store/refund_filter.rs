//! `RefundQuery` evaluated in memory against one change, for subscribers of the feed hub
//! (which reads every change once, unfiltered). It must agree with `RefundQuery::condition`
//! as `feed::refund_changes` applies it; the tests below check that against the database.

use entity::refund;

use super::refunds::RefundQuery;

impl RefundQuery {
    /// Whether a change of `refund` to `status` matches. As in the feed's SQL, `statuses`
    /// apply to the new status of the change and the other filters to the refund;
    /// `order_number` is the number of the order the refund is linked to, if any.
    pub fn matches(
        &self,
        status: &str,
        refund: &refund::Model,
        order_number: Option<&str>,
    ) -> bool {
        let provider = || self.providers.iter().any(|p| p.slug() == refund.provider);
        let status_ok = || self.statuses.iter().any(|s| s.as_str() == status);
        // SQL: `order_id IN (SELECT id FROM orders WHERE order_number = n)
        //       OR link_order_number = n`, exact comparisons.
        let order = |n: &String| {
            order_number == Some(n.as_str()) || refund.link_order_number.as_ref() == Some(n)
        };
        // SQL: `currency = UPPER(filter)`: the stored code is compared as it is.
        let currency = |c: &String| {
            refund.currency.as_deref().is_some_and(|r| {
                r.len() == c.len()
                    && r.bytes()
                        .zip(c.bytes())
                        .all(|(a, b)| a == b.to_ascii_uppercase())
            })
        };
        // A NULL amount matches no amount bound. SQLite compares amounts as REAL, this as
        // exact decimals: they differ only beyond a double's 15 significant digits.
        let amount = |ok: fn(&rust_decimal::Decimal, &rust_decimal::Decimal) -> bool,
                      bound: &rust_decimal::Decimal| {
            refund.amount.is_some_and(|a| ok(&a.0, bound))
        };
        (self.providers.is_empty() || provider())
            && (self.statuses.is_empty() || status_ok())
            && self.order_number.as_ref().is_none_or(order)
            && self.currency.as_ref().is_none_or(currency)
            && self.created_after.is_none_or(|t| refund.created_at >= t)
            && self.created_before.is_none_or(|t| refund.created_at < t)
            && self
                .min_amount
                .as_ref()
                .is_none_or(|d| amount(|a, b| a >= b, d))
            && self
                .max_amount
                .as_ref()
                .is_none_or(|d| amount(|a, b| a <= b, d))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use entity::order;
    use rust_decimal_macros::dec;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter};

    use super::*;
    use crate::domain::{Provider, RefundStatus};

    fn at(day: u32, secs: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap()
            + chrono::Duration::milliseconds(i64::from(secs) * 250)
    }

    /// Refunds covering each filter's edges: NULLs, bounds equal to values, links by order
    /// and by the provider's order number, lower-case currency.
    async fn seed(db: &impl ConnectionTrait) {
        let mut order_ids = vec![];
        for n in [Some("#1"), Some("#2"), None] {
            let o = order::ActiveModel {
                order_number: Set(n.map(Into::into)),
                created_at: Set(at(1, 0)),
                updated_at: Set(at(1, 0)),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
            order_ids.push(o.id);
        }
        let providers = ["rainforest", "unipayment", "rebound"];
        let statuses = ["PENDING", "SUCCEEDED", "FAILED"];
        let currencies = [Some("USD"), Some("EUR"), None, Some("usd")];
        let amounts = [
            Some(dec!(10)),
            Some(dec!(10.00)),
            Some(dec!(9.99)),
            None,
            Some(dec!(250.5)),
        ];
        let links = [None, Some("#1"), Some("#LINK"), Some("#2")];
        for i in 0..60usize {
            refund::ActiveModel {
                provider: Set(providers[i % 3].into()),
                provider_refund_id: Set(format!("r{i}")),
                order_id: Set([
                    None,
                    Some(order_ids[0]),
                    Some(order_ids[1]),
                    Some(order_ids[2]),
                ][i % 4]),
                link_order_number: Set(links[(i / 4) % 4].map(Into::into)),
                status: Set(statuses[(i / 3) % 3].into()),
                provider_status: Set("x".into()),
                status_occurred_at: Set(at(2, 0)),
                amount: Set(amounts[i % 5].map(Into::into)),
                currency: Set(currencies[(i / 5) % 4].map(Into::into)),
                details: Set("{}".into()),
                created_at: Set(at(2 + (i % 3) as u32, (i % 7) as u32)),
                updated_at: Set(at(2, 0)),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
        }
    }

    /// Every combination of a few values per filter.
    fn queries() -> Vec<RefundQuery> {
        let mut out = vec![RefundQuery::default()];
        for providers in [
            vec![],
            vec![Provider::Rainforest],
            vec![Provider::Rainforest, Provider::UniPayment],
        ] {
            for statuses in [
                vec![],
                vec![RefundStatus::Succeeded],
                vec![RefundStatus::Pending, RefundStatus::Failed],
            ] {
                for order_number in [None, Some("#1"), Some("#LINK"), Some("#none")] {
                    for currency in [None, Some("usd"), Some("EUR"), Some("Usd")] {
                        for (created_after, created_before) in [
                            (None, None),
                            (Some(at(3, 0)), None),
                            (None, Some(at(3, 2))),
                            (Some(at(2, 3)), Some(at(4, 1))),
                        ] {
                            for (min_amount, max_amount) in [
                                (None, None),
                                (Some(dec!(10)), None),
                                (None, Some(dec!(10.000))),
                                (Some(dec!(9.995)), Some(dec!(250.5))),
                            ] {
                                out.push(RefundQuery {
                                    providers: providers.clone(),
                                    statuses: statuses.clone(),
                                    order_number: order_number.map(Into::into),
                                    currency: currency.map(Into::into),
                                    created_after,
                                    created_before,
                                    min_amount,
                                    max_amount,
                                });
                            }
                        }
                    }
                }
            }
        }
        out
    }

    #[tokio::test]
    async fn the_in_memory_filter_agrees_with_the_sql_condition() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("f.db").display());
        let db = crate::store::connect(&url).await.unwrap();
        crate::store::migrate(&db).await.unwrap();
        seed(&db).await;
        let refunds = refund::Entity::find().all(&db).await.unwrap();
        let numbers: std::collections::HashMap<i64, String> = order::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|o| o.order_number.map(|n| (o.id, n)))
            .collect();
        let backend = db.get_database_backend();
        let (mut checked, mut matched) = (0, 0);
        for q in queries() {
            let mut by_sql: Vec<i64> = refund::Entity::find()
                .filter(q.condition(backend))
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect();
            by_sql.sort_unstable();
            let in_memory: Vec<i64> = refunds
                .iter()
                .filter(|r| {
                    let n = r
                        .order_id
                        .and_then(|id| numbers.get(&id))
                        .map(String::as_str);
                    q.matches(&r.status, r, n)
                })
                .map(|r| r.id)
                .collect();
            assert_eq!(in_memory, by_sql, "{q:?}");
            checked += 1;
            matched += by_sql.len();
        }
        // The combinations are not vacuous: some match, some do not.
        assert!(checked > 2000 && matched > 1000, "{checked} {matched}");
    }

    #[test]
    fn statuses_apply_to_the_change_not_the_refund() {
        let r = refund::Model {
            id: 1,
            provider: "rainforest".into(),
            provider_refund_id: "r".into(),
            order_id: None,
            link_order_number: None,
            link_ref_kind: None,
            link_ref_value: None,
            status: "SUCCEEDED".into(),
            provider_status: "x".into(),
            status_occurred_at: at(2, 0),
            amount: None,
            currency: None,
            fee: None,
            fee_currency: None,
            reason: None,
            crypto_amount: None,
            crypto_token: None,
            crypto_network: None,
            crypto_tx_hash: None,
            details: "{}".into(),
            created_at: at(2, 0),
            updated_at: at(2, 0),
        };
        let q = RefundQuery {
            statuses: vec![RefundStatus::Pending],
            ..Default::default()
        };
        assert!(q.matches("PENDING", &r, None));
        assert!(!q.matches("SUCCEEDED", &r, None));
        let q = RefundQuery {
            order_number: Some("#9".into()),
            ..Default::default()
        };
        assert!(q.matches("PENDING", &r, Some("#9")));
        assert!(!q.matches("PENDING", &r, Some("#90")));
    }
}
