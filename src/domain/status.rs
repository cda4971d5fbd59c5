//! Normalized refund and return statuses, their rank, and the one rule that decides whether
//! an incoming event moves the current status (SPEC §5): forward in rank only, same rank by
//! the later `occurredAt`, terminal is final, and a contradicting terminal is a conflict.

use std::{fmt, str::FromStr};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    Pending,
    Approved,
    Processing,
    InReview,
    Succeeded,
    Failed,
    Canceled,
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnStatus {
    Requested,
    Approved,
    InTransit,
    Received,
    Inspected,
    Resolved,
    Canceled,
    Rejected,
}

/// What the statuses of refunds and returns have in common for the transition rule.
pub trait Ranked: Copy + Eq {
    fn rank(self) -> u8;
    fn is_terminal(self) -> bool;
}

impl Ranked for RefundStatus {
    fn rank(self) -> u8 {
        match self {
            RefundStatus::Pending => 0,
            RefundStatus::Approved => 1,
            RefundStatus::Processing | RefundStatus::InReview => 2,
            _ => 3,
        }
    }
    fn is_terminal(self) -> bool {
        self.rank() == 3
    }
}

impl Ranked for ReturnStatus {
    fn rank(self) -> u8 {
        match self {
            ReturnStatus::Requested => 0,
            ReturnStatus::Approved => 1,
            ReturnStatus::InTransit => 2,
            ReturnStatus::Received => 3,
            ReturnStatus::Inspected => 4,
            ReturnStatus::Resolved | ReturnStatus::Canceled | ReturnStatus::Rejected => 5,
        }
    }
    fn is_terminal(self) -> bool {
        self.rank() == 5
    }
}

/// The outcome of comparing an incoming status with the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusDecision {
    /// Becomes the current status.
    Apply,
    /// Kept in history only: late, lower in rank, or the same status again.
    Stale,
    /// Kept in history only, and a discrepancy: a terminal status contradicted by another.
    Conflict,
}

impl StatusDecision {
    pub fn applied(self) -> bool {
        self == StatusDecision::Apply
    }
}

/// Decides whether `incoming` (occurred at `at`) replaces `current` (occurred at `current_at`).
pub fn decide_transition<S: Ranked>(
    current: Option<(S, DateTime<Utc>)>,
    incoming: S,
    at: DateTime<Utc>,
) -> StatusDecision {
    let Some((cur, cur_at)) = current else {
        return StatusDecision::Apply;
    };
    if cur.is_terminal() {
        return if incoming.is_terminal() && incoming != cur {
            StatusDecision::Conflict
        } else {
            StatusDecision::Stale
        };
    }
    if incoming == cur {
        return StatusDecision::Stale;
    }
    match incoming.rank().cmp(&cur.rank()) {
        std::cmp::Ordering::Greater => StatusDecision::Apply,
        std::cmp::Ordering::Equal if at > cur_at => StatusDecision::Apply,
        _ => StatusDecision::Stale,
    }
}

/// Applies one event to the current (status, occurred at): the decision, and the new
/// current state. The same status again, reported as happening later, moves the current
/// occurrence forward without being a change, so that a later same-rank status is judged
/// against the latest known occurrence whatever the arrival order.
pub fn next_state<S: Ranked>(
    current: Option<(S, DateTime<Utc>)>,
    incoming: S,
    at: DateTime<Utc>,
) -> (StatusDecision, (S, DateTime<Utc>)) {
    let decision = decide_transition(current, incoming, at);
    let next = match (decision, current) {
        (StatusDecision::Apply, _) | (_, None) => (incoming, at),
        (_, Some((cur, cur_at))) if cur == incoming && at > cur_at => (cur, at),
        (_, Some(c)) => c,
    };
    (decision, next)
}

macro_rules! str_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($s => Ok(<$t>::$v),)+ other => Err(format!("unknown status `{other}`")) }
            }
        }
    };
}

str_enum!(RefundStatus {
    Pending => "PENDING",
    Approved => "APPROVED",
    Processing => "PROCESSING",
    InReview => "IN_REVIEW",
    Succeeded => "SUCCEEDED",
    Failed => "FAILED",
    Canceled => "CANCELED",
    Rejected => "REJECTED",
});

str_enum!(ReturnStatus {
    Requested => "REQUESTED",
    Approved => "APPROVED",
    InTransit => "IN_TRANSIT",
    Received => "RECEIVED",
    Inspected => "INSPECTED",
    Resolved => "RESOLVED",
    Canceled => "CANCELED",
    Rejected => "REJECTED",
});

impl ReturnStatus {
    /// Returns whose refund is owed: reached RECEIVED or later and not canceled/rejected.
    pub fn owes_refund(self) -> bool {
        matches!(
            self,
            ReturnStatus::Received | ReturnStatus::Inspected | ReturnStatus::Resolved
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RefundStatus::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    #[test]
    fn first_status_always_applies() {
        assert_eq!(
            decide_transition(None, Succeeded, t(0)),
            StatusDecision::Apply
        );
    }

    #[test]
    fn status_moves_forward_in_rank_only() {
        assert!(decide_transition(Some((Pending, t(0))), Processing, t(1)).applied());
        // A late PENDING after PROCESSING is history, not a move back.
        assert_eq!(
            decide_transition(Some((Processing, t(5))), Pending, t(1)),
            StatusDecision::Stale
        );
        // Forward even when the provider's clock says it happened earlier.
        assert!(decide_transition(Some((Approved, t(5))), Succeeded, t(1)).applied());
    }

    #[test]
    fn same_rank_takes_the_later_occurrence() {
        assert!(decide_transition(Some((Processing, t(0))), InReview, t(1)).applied());
        assert_eq!(
            decide_transition(Some((InReview, t(5))), Processing, t(1)),
            StatusDecision::Stale
        );
    }

    #[test]
    fn terminal_is_final_and_contradiction_is_a_conflict() {
        assert_eq!(
            decide_transition(Some((Succeeded, t(0))), Failed, t(10)),
            StatusDecision::Conflict
        );
        assert_eq!(
            decide_transition(Some((Succeeded, t(0))), Succeeded, t(10)),
            StatusDecision::Stale
        );
        assert_eq!(
            decide_transition(Some((Failed, t(0))), Processing, t(10)),
            StatusDecision::Stale
        );
    }

    #[test]
    fn repeating_the_current_status_is_not_a_change() {
        assert_eq!(
            decide_transition(Some((Processing, t(0))), Processing, t(10)),
            StatusDecision::Stale
        );
    }

    #[test]
    fn return_statuses_rank_and_owe() {
        use ReturnStatus as R;
        assert!(decide_transition(Some((R::Requested, t(0))), R::Received, t(1)).applied());
        assert_eq!(
            decide_transition(Some((R::Received, t(2))), R::InTransit, t(3)),
            StatusDecision::Stale
        );
        assert_eq!(
            decide_transition(Some((R::Resolved, t(2))), R::Canceled, t(3)),
            StatusDecision::Conflict
        );
        assert!(R::Inspected.owes_refund());
        assert!(!R::Canceled.owes_refund());
        assert!(!R::InTransit.owes_refund());
    }

    #[test]
    fn a_repeated_status_advances_its_occurrence() {
        let (d, next) = next_state(Some((Processing, t(3))), Processing, t(5));
        assert_eq!(d, StatusDecision::Stale);
        assert_eq!(next, (Processing, t(5)));
        // So an IN_REVIEW that happened in between no longer wins.
        assert_eq!(next_state(Some(next), InReview, t(4)).1, (Processing, t(5)));
    }

    use proptest::prelude::*;

    /// A provider's realistic lifecycle: some of PENDING, APPROVED, PROCESSING/IN_REVIEW
    /// (possibly alternating), at most one terminal status, at increasing times.
    fn lifecycle() -> impl Strategy<Value = Vec<(RefundStatus, DateTime<Utc>)>> {
        (
            any::<bool>(),
            any::<bool>(),
            prop::collection::vec(any::<bool>(), 0..5),
            prop::option::of(0usize..4),
        )
            .prop_map(|(pending, approved, middle, terminal)| {
                let mut seq = Vec::new();
                if pending {
                    seq.push(Pending);
                }
                if approved {
                    seq.push(Approved);
                }
                seq.extend(
                    middle
                        .into_iter()
                        .map(|r| if r { InReview } else { Processing }),
                );
                if let Some(i) = terminal {
                    seq.push([Succeeded, Failed, Canceled, Rejected][i]);
                }
                if seq.is_empty() {
                    seq.push(Pending);
                }
                seq.into_iter()
                    .enumerate()
                    .map(|(i, s)| (s, t(i as i64 * 10)))
                    .collect()
            })
    }

    fn fold(events: &[(RefundStatus, DateTime<Utc>)]) -> (RefundStatus, DateTime<Utc>, usize) {
        let mut cur = None;
        let mut history = 0;
        for (s, at) in events {
            let (_, next) = next_state(cur, *s, *at);
            cur = Some(next);
            history += 1;
        }
        let (s, at) = cur.unwrap();
        (s, at, history)
    }

    proptest! {
        #[test]
        fn any_arrival_order_ends_in_the_status_of_the_sorted_sequence(
            (events, perm) in lifecycle().prop_flat_map(|e| {
                let n = e.len();
                (Just(e), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
            })
        ) {
            let shuffled: Vec<_> = perm.iter().map(|i| events[*i]).collect();
            let (sorted_status, _, n1) = fold(&events);
            let (status, _, n2) = fold(&shuffled);
            prop_assert_eq!(status, sorted_status, "sorted {:?} shuffled {:?}", events, shuffled);
            // Every event is kept in history exactly once, whatever the order.
            prop_assert_eq!(n1, events.len());
            prop_assert_eq!(n2, events.len());
        }
    }

    #[test]
    fn names_round_trip() {
        for s in RefundStatus::ALL {
            assert_eq!(s.as_str().parse::<RefundStatus>().unwrap(), *s);
        }
        for s in ReturnStatus::ALL {
            assert_eq!(s.as_str().parse::<ReturnStatus>().unwrap(), *s);
        }
    }
}
