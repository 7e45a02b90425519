//! The two ways pillars uses the cores (issue 13), both deterministic: results come back in
//! input order whatever thread made them, so the output never depends on the machine.

/// Below this many items, threads cost more than they save.
const CHUNKS_MIN: usize = 4096;

/// `f` over contiguous chunks of `items`, one chunk per core; results in item order. For
/// uniform work over many small items (records, groups).
pub fn chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    ranges(items.len(), |r| f(&items[r]))
}

/// `f` over contiguous ranges of `0..len`, one range per core; results in range order.
pub fn ranges<R: Send>(len: usize, f: impl Fn(std::ops::Range<usize>) -> R + Sync) -> Vec<R> {
    let size = chunk_len(len);
    let f = &f;
    let jobs = (0..len.max(1)).step_by(size);
    on_threads(jobs.map(|start| move || f(start..(start + size).min(len))))
}

/// `f` over contiguous chunks of `items`, one chunk per core, each changed in place;
/// results in item order.
pub fn chunks_mut<T: Send, R: Send>(items: &mut [T], f: impl Fn(&mut [T]) -> R + Sync) -> Vec<R> {
    if items.is_empty() {
        return vec![f(items)];
    }
    let size = chunk_len(items.len());
    let f = &f;
    on_threads(items.chunks_mut(size).map(|chunk| move || f(chunk)))
}

/// `f` over contiguous runs of `items`, one per core, each handed to its thread with the
/// index of its first item; results in item order. For work that consumes the items (and
/// frees each as it goes).
pub fn owned_chunks<T: Send, R: Send>(
    mut items: Vec<T>,
    f: impl Fn(usize, Vec<T>) -> R + Sync,
) -> Vec<R> {
    let size = chunk_len(items.len());
    let mut runs = vec![];
    while items.len() > size {
        let start = (items.len() - 1) / size * size;
        runs.push((start, items.split_off(start)));
    }
    runs.push((0, items));
    runs.reverse();
    let f = &f;
    on_threads(runs.into_iter().map(|(start, run)| move || f(start, run)))
}

/// The length of chunks that split `len` items one chunk per core (one chunk below
/// `CHUNKS_MIN`, where threads cost more than they save).
fn chunk_len(len: usize) -> usize {
    let threads = if len < CHUNKS_MIN { 1 } else { threads() };
    len.div_ceil(threads).max(1)
}

/// Runs each job on a thread of its own (a single job on this thread); results in job order.
fn on_threads<R: Send>(jobs: impl Iterator<Item = impl FnOnce() -> R + Send>) -> Vec<R> {
    let mut jobs: Vec<_> = jobs.collect();
    if jobs.len() == 1 {
        return jobs.pop().map(|job| job()).into_iter().collect();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("worker thread panicked"))
            .collect()
    })
}

/// `f` applied to every item on up to one thread per core; results in item order. Threads
/// take the next unclaimed item, so one large item does not hold up the rest. For a few
/// jobs of uneven size (the files of an export).
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut done = vec![];
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker thread panicked"))
            .collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// One per core, or `PILLARS_THREADS` when set to a positive number (the output is the same
/// for any number; the tests compare 1 with several).
/// Read once: finding the number of cores reads cgroup files, slow next to a small build.
fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::env::var("PILLARS_THREADS")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|&n: &usize| n >= 1)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_back_in_input_order() {
        let items: Vec<u64> = (0..10_000).collect();
        let sums = super::chunks(&items, |c| c.iter().sum::<u64>());
        assert_eq!(sums.iter().sum::<u64>(), items.iter().sum::<u64>());
        let firsts: Vec<u64> = super::chunks(&items, |c| c[0]);
        assert!(firsts.windows(2).all(|w| w[0] < w[1]));
        let squares = super::map(&items, |x| x * x);
        assert!(squares.iter().zip(&items).all(|(s, x)| *s == x * x));
    }

    /// Every item is changed once, whatever the length (one chunk or several).
    #[test]
    fn chunks_changed_in_place_cover_every_item_once() {
        for len in [0, 1, 4095, 4096, 4097, 10_001] {
            let mut items: Vec<usize> = (0..len).collect();
            super::chunks_mut(&mut items, |c| c.iter_mut().for_each(|x| *x = *x * 2 + 1));
            assert!(
                items.iter().enumerate().all(|(i, x)| *x == i * 2 + 1),
                "len {len}"
            );
        }
    }

    /// Each run starts where the one before ended, and the runs together are the items.
    #[test]
    fn owned_runs_are_the_items_in_order() {
        for len in [0, 1, 4095, 4096, 4097, 10_001] {
            let items: Vec<usize> = (0..len).collect();
            let runs = super::owned_chunks(items, |start, run| (start, run));
            let mut next = 0;
            for (start, run) in &runs {
                assert_eq!(*start, next, "len {len}");
                assert!(run.iter().enumerate().all(|(k, x)| *x == start + k));
                next += run.len();
            }
            assert_eq!(next, len);
        }
    }
}
