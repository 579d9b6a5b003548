//! The shipped table's memory: bytes held on the heap by a parsed
//! `RateTable`, counted by an instrumented global allocator (issue 5 asks
//! for at most 1 MiB).

use checkout_tax::RateTable;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn the_shipped_table_takes_less_than_one_mebibyte() {
    let csv = checkout_tax::tax::embedded::CSV;
    let region = Region::new(GLOBAL);
    let table = RateTable::from_csv(csv).unwrap();
    let stats = region.change();
    let held =
        stats.bytes_allocated as isize - stats.bytes_deallocated as isize + stats.bytes_reallocated;
    println!(
        "rate table: {} rows, {held} bytes held on the heap ({:.1} KiB)",
        table.rows().len(),
        held as f64 / 1024.0
    );
    assert!(held > 0);
    assert!(held <= 1 << 20, "{held} bytes");
}
