//! What the bench needs to know about the machine it runs on (Linux `/proc`), and the
//! emptied database it starts from.

/// Linux reports CPU times in clock ticks of 1/100 s.
const TICKS: f64 = 100.0;

/// Each subscriber holds two descriptors here (client and server end): fail clearly.
pub fn check_open_files(needed: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(soft) = soft {
        assert!(
            soft >= needed,
            "open-file limit {soft} < {needed}: raise it (ulimit -n) or lower BENCH_SUBSCRIBERS"
        );
    }
}

/// CPU seconds (user + system) in a `/proc/.../stat` file.
fn cpu_of(stat: &str) -> f64 {
    let s = std::fs::read_to_string(stat).unwrap_or_default();
    let fields: Vec<&str> = s
        .rsplit_once(')')
        .map(|(_, r)| r.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / TICKS
}

/// CPU seconds of the calling thread.
pub fn thread_cpu() -> f64 {
    cpu_of("/proc/thread-self/stat")
}

/// CPU seconds of the whole process.
pub fn process_cpu() -> f64 {
    cpu_of("/proc/self/stat")
}

/// Compilers and cargo runs of others sharing the machine (they disturb the timings); the
/// `cargo bench` that started this process is not counted.
pub fn other_builds() -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let parent = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| Some(s.rsplit_once(')')?.1.split_whitespace().nth(1)?.to_owned()));
    dir.filter_map(|e| e.ok())
        .filter(|e| Some(e.file_name().to_string_lossy().into_owned()) != parent)
        .filter_map(|e| std::fs::read_to_string(e.path().join("comm")).ok())
        .filter(|c| matches!(c.trim(), "rustc" | "cargo"))
        .count()
}
