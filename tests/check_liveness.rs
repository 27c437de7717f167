//! Liveness, case by case: which writes are dead, which inputs unused, and
//! how many slots a program needs with each forget right after the last read.

use wb::check::{self, Analysis};
use wb::diag::Code;

fn analyse(src: &str) -> Analysis {
    let parsed = wb::syntax::parse(src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    check::check(&parsed.program, None)
}

/// `(code, line)` of every diagnostic.
fn found(src: &str) -> Vec<(Code, usize)> {
    let parsed = wb::syntax::parse(src);
    let a = check::check(&parsed.program, None);
    a.diagnostics
        .iter()
        .map(|d| {
            let at = d.primary_span().map_or(0, |s| s.start as usize);
            (d.code, parsed.program.lines.line(at))
        })
        .collect()
}

#[test]
fn reading_and_writing_a_new_name_needs_both_slots() {
    let a = analyse("board 5\ninput a = 1\nwrite x = a\nwrite y = x + 1\nread y\n");
    assert_eq!(a.min_capacity, 2);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
}

#[test]
fn overwriting_the_same_name_needs_no_new_slot() {
    let a = analyse("board 5\ninput a = 1\nwrite x = a\nwrite x = x + 1\nread x\n");
    assert_eq!(a.min_capacity, 1);
    assert_eq!(a.peak, 1);
}

#[test]
fn a_value_a_loop_reads_stays_through_the_loop() {
    let src = "board 5\ninput a = 2\nstream s = [1, 2]\nwrite k = a\nwrite acc = 0\n\
               each s {\n  write tmp = s * k\n  write acc = acc + tmp\n  forget tmp\n}\nread acc\n";
    let a = analyse(src);
    assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
    assert_eq!(a.min_capacity, 3, "k, acc and tmp at once inside the loop");
}

#[test]
fn values_forgotten_early_lower_min_capacity_below_peak() {
    let src =
        "board 5\ninput a = 1\nwrite x = a\nwrite y = a + 1\nread y\nwrite z = y\nread z, x\n";
    let a = analyse(src);
    assert_eq!(a.peak, 3);
    assert_eq!(a.min_capacity, 3, "x is read at the end: it stays");
    let src =
        "board 5\ninput a = 1\nwrite x = a\nread x\nwrite y = a + 1\nread y\nwrite z = y\nread z\n";
    let a = analyse(src);
    assert_eq!(a.peak, 3);
    assert_eq!(a.min_capacity, 2);
}

#[test]
fn an_accumulator_is_not_a_dead_write() {
    let src = "board 2\ninput a = 1\nwrite t = 0\nrepeat 3 {\n  write t = t + a\n}\nread t\n";
    assert_eq!(found(src), vec![]);
    // Read only by the next iteration: live, whatever happens after the loop.
    let src =
        "board 2\nstream s = [1, 2]\nwrite last = 0\neach s {\n  read last\n  write last = s\n}\n";
    assert_eq!(found(src), vec![]);
}

#[test]
fn dead_writes_inside_and_outside_loops() {
    let src = "board 3\ninput a = 1\nstream s = [1]\n\
               each s {\n  write t = s\n  write t = s + 1\n  read t\n  forget t\n}\n\
               write u = a\nforget u\nwrite v = a\n";
    assert_eq!(
        found(src),
        vec![
            (Code::DeadWrite, 5),
            (Code::DeadWrite, 10),
            (Code::DeadWrite, 12)
        ]
    );
}

#[test]
fn a_gated_write_reads_its_target() {
    let src = "board 2\ninput a = 1\nwrite x = 0\nwrite x = a gate 0.5\nread x\n";
    assert_eq!(found(src), vec![]);
    let src = "board 2\ninput a = 1\nwrite x = 0\nwrite x = a when a > 0\n";
    assert_eq!(found(src), vec![(Code::DeadWrite, 4)]);
}

#[test]
fn unused_inputs_and_streams() {
    let src = "board 1\ninput a = 1, b = 2\nstream s = [1], t = [2]\neach s {\n  read a\n}\n";
    assert_eq!(
        found(src),
        vec![(Code::UnusedInput, 2), (Code::UnusedInput, 3)]
    );
}

#[test]
fn a_failed_write_is_not_also_a_dead_write() {
    let src = "board 1\ninput a = 1\nwrite x = a\nwrite y = x\nread x\n";
    assert_eq!(found(src), vec![(Code::BoardFull, 4)]);
}

#[test]
fn finish_without_the_program_keeps_min_capacity_at_peak() {
    let parsed = wb::syntax::parse("board 3\ninput a = 1\nwrite x = a\nread x\nwrite y = a\n");
    let program = &parsed.program;
    let mut checker = check::Checker::new(None, check::Reads::of(program), program.lines.clone());
    for item in &program.items {
        checker.item(item, &program.names);
    }
    let a = checker.finish();
    assert_eq!(a.peak, 2);
    assert_eq!(a.min_capacity, 2);
    assert!(
        a.diagnostics.is_empty(),
        "no liveness warnings without the program"
    );
}
