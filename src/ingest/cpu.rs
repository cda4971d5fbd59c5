//! Keeps the inbox writer and the thread of its SQLite connection on one CPU. Every
//! statement is a hand-off between those two threads: on one CPU it is a plain switch, on two
//! it is a wake-up of the other CPU, which on the benchmark machine cost more than most of the
//! statements themselves (BEGIN 0.8 → 0.1 ms, 64 connections about +30%: BENCHMARKS.md).
//! The connection's thread is started by the writer's thread and inherits its CPU.

/// Pins the calling thread to the CPU it is running on (so instances and processes on one
/// host spread as the scheduler placed them); `None` with fewer than two CPUs to choose
/// from (nothing to gain), on failure, or off Linux. `Pinned::undo` gives the CPUs back.
#[cfg(target_os = "linux")]
pub(super) fn pin_current_thread() -> Option<Pinned> {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
    let allowed = sched_getaffinity(None).ok()?;
    if allowed.count() < 2 {
        return None;
    }
    let here = sched_getcpu();
    let cpu = if allowed.is_set(here) {
        here
    } else {
        (0..CpuSet::MAX_CPU).rev().find(|&c| allowed.is_set(c))?
    };
    let mut one = CpuSet::new();
    one.set(cpu);
    match sched_setaffinity(None, &one) {
        Ok(()) => {
            tracing::debug!(cpu, "the inbox writer runs on one CPU");
            Some(Pinned(allowed))
        }
        Err(e) => {
            tracing::debug!(error = %e, "the inbox writer is not pinned");
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn pin_current_thread() -> Option<Pinned> {
    None
}

/// The CPUs a pinned thread could use before.
#[cfg(target_os = "linux")]
pub(super) struct Pinned(rustix::thread::CpuSet);
#[cfg(not(target_os = "linux"))]
pub(super) struct Pinned;

impl Pinned {
    /// Lets the thread run anywhere it could before (when it will not share its CPU with
    /// a SQLite connection's thread after all).
    pub(super) fn undo(self) {
        #[cfg(target_os = "linux")]
        if let Err(e) = rustix::thread::sched_setaffinity(None, &self.0) {
            tracing::debug!(error = %e, "the inbox writer stays on one CPU");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::thread::sched_getaffinity;

    #[test]
    fn pins_the_calling_thread_to_one_cpu_when_it_may_use_several_and_gives_them_back() {
        std::thread::spawn(|| {
            let before = sched_getaffinity(None).unwrap().count();
            let pinned = super::pin_current_thread();
            let after = sched_getaffinity(None).unwrap().count();
            assert_eq!(
                after,
                if before >= 2 { 1 } else { before },
                "{before} → {after}"
            );
            assert_eq!(pinned.is_some(), before >= 2);
            // A thread it starts inherits the CPU, as the SQLite connection's thread does.
            let child = std::thread::spawn(|| sched_getaffinity(None).unwrap().count());
            assert_eq!(child.join().unwrap(), after);
            if let Some(p) = pinned {
                p.undo();
            }
            assert_eq!(sched_getaffinity(None).unwrap().count(), before);
        })
        .join()
        .unwrap();
    }
}
