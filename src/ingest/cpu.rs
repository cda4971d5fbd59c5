//! Keeps the inbox writer and the thread of its SQLite connection on one CPU. Every
//! statement is a hand-off between those two threads: on one CPU it is a plain switch, on two
//! it is a wake-up of the other CPU, which on the benchmark machine cost more than most of the
//! statements themselves (BEGIN 0.8 → 0.1 ms, 64 connections about +30%: BENCHMARKS.md).
//! The connection's thread is started by the writer's thread and inherits its CPU.

/// Pins the calling thread to the last CPU it may run on; does nothing with fewer than two
/// (nothing to gain) or off Linux.
#[cfg(target_os = "linux")]
pub(super) fn pin_current_thread() {
    use rustix::thread::{CpuSet, sched_getaffinity, sched_setaffinity};
    let Ok(allowed) = sched_getaffinity(None) else {
        return;
    };
    if allowed.count() < 2 {
        return;
    }
    let Some(cpu) = (0..CpuSet::MAX_CPU).rev().find(|&c| allowed.is_set(c)) else {
        return;
    };
    let mut one = CpuSet::new();
    one.set(cpu);
    match sched_setaffinity(None, &one) {
        Ok(()) => tracing::debug!(cpu, "the inbox writer runs on one CPU"),
        Err(e) => tracing::debug!(error = %e, "the inbox writer is not pinned"),
    }
}

#[cfg(not(target_os = "linux"))]
pub(super) fn pin_current_thread() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::thread::sched_getaffinity;

    #[test]
    fn pins_the_calling_thread_to_one_cpu_when_it_may_use_several() {
        std::thread::spawn(|| {
            let before = sched_getaffinity(None).unwrap().count();
            super::pin_current_thread();
            let after = sched_getaffinity(None).unwrap().count();
            assert_eq!(
                after,
                if before >= 2 { 1 } else { before },
                "{before} → {after}"
            );
            // A thread it starts inherits the CPU, as the SQLite connection's thread does.
            let child = std::thread::spawn(|| sched_getaffinity(None).unwrap().count());
            assert_eq!(child.join().unwrap(), after);
        })
        .join()
        .unwrap();
    }
}
