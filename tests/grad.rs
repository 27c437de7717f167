//! `wb grad`: the closed forms of the recurrences, exactly, for
//! several lengths; reverse mode against forward mode and against central
//! finite differences on generated programs; the command's table, JSON,
//! picture and errors.

use std::process::Command;

use proptest::prelude::*;
use serde_json::Value;
use wb::grad::{self, Failure, Gradients, Spec};

/// Which method.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Reverse,
    Forward,
}

/// The gradients of `src` with its defaults, `scalars`/`streams` replacing
/// them where given.
fn gradients(
    src: &str,
    scalars: Option<&[f64]>,
    streams: Option<&[Vec<f64>]>,
    mode: Mode,
    at: Option<u64>,
) -> Result<Gradients, Failure> {
    let parsed = wb::syntax::parse(src);
    assert!(
        parsed.diagnostics.is_empty(),
        "{:?}\n{src}",
        parsed.diagnostics
    );
    let analysis = wb::check::check(&parsed.program, None);
    assert!(!analysis.has_errors(), "{:?}\n{src}", analysis.diagnostics);
    let mut b = wb::interp::bind(
        &analysis.symbols,
        &parsed.program.names,
        &Default::default(),
    )
    .expect("defaults");
    if let Some(s) = scalars {
        b.scalars = s.to_vec();
    }
    if let Some(s) = streams {
        b.streams = s.to_vec();
    }
    let compiled = grad::compile(&parsed.program, &analysis.symbols, src);
    let spec = Spec {
        compiled: &compiled,
        scalars: &b.scalars,
        streams: &b.streams,
        at,
        interrupt: None,
    };
    match mode {
        Mode::Reverse => grad::reverse::gradients(spec),
        Mode::Forward => grad::forward::gradients(spec),
    }
}

fn recurrence(update: &str) -> String {
    format!("board 1\nstream x = []\nwrite s = 0\neach x {{\n  write s = {update}\n}}\nread s\n")
}

/// ∂s/∂x[t] of a recurrence over `n` elements of value `v`, reverse mode.
fn flow(update: &str, n: usize, v: f64) -> Vec<f64> {
    let g = gradients(
        &recurrence(update),
        None,
        Some(&[vec![v; n]]),
        Mode::Reverse,
        None,
    )
    .expect("differentiates");
    g.reads[0].streams[0].clone()
}

const LENGTHS: [usize; 6] = [1, 2, 3, 10, 257, 1500];

#[test]
fn a_halving_update_vanishes_as_a_power_of_one_half() {
    for n in LENGTHS {
        let d = flow("0.5 * s + x", n, 1.0);
        for (t, &g) in d.iter().enumerate() {
            let lag = (n - 1 - t) as i32;
            // Powers of two are exact down to 2^-1074, then exactly 0.
            let want = if lag > 1074 { 0.0 } else { 0.5f64.powi(lag) };
            assert_eq!(g.to_bits(), want.to_bits(), "n = {n}, t = {t}");
        }
        if n == 1500 {
            assert_eq!(d[0], 0.0, "the earliest elements underflow to an exact 0");
            assert!(d[n - 1075] > 0.0);
        }
    }
}

#[test]
fn the_carousel_keeps_every_element_at_one() {
    for n in LENGTHS {
        assert!(flow("s + x", n, 1.0).iter().all(|&g| g == 1.0), "n = {n}");
    }
}

#[test]
fn a_doubling_update_explodes_as_a_power_of_two() {
    // 2^(n−1) itself must stay finite: the values grow as fast.
    for n in [1, 2, 3, 10, 257, 1000] {
        let d = flow("2 * s + x", n, 1.0);
        for (t, &g) in d.iter().enumerate() {
            assert_eq!(g, 2f64.powi((n - 1 - t) as i32), "n = {n}, t = {t}");
        }
    }
    // Past 2^1024 the value itself overflows: the run fails, and `wb grad`
    // reports it as `wb run` does.
    let over = gradients(
        &recurrence("2 * s + x"),
        None,
        Some(&[vec![1.0; 1100]]),
        Mode::Reverse,
        None,
    );
    assert!(matches!(over, Err(Failure::Run)));
    let dir = tempfile::tempdir().unwrap();
    let src = file(&dir, "double.wb", &recurrence("2 * s + x"));
    let ones = vec!["1"; 1100].join(",");
    let (code, out, err) = wb(&["grad", &src, "--stream", &format!("x={ones}")]);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("wb::not_finite"), "{err}");
}

#[test]
fn a_constant_soft_gate_vanishes_as_g_times_one_minus_g_to_the_lag() {
    for g in [0.5, 0.25, 0.1] {
        for n in LENGTHS {
            let d = flow(&format!("x gate {g}"), n, 3.0);
            let mut keep = 1.0f64; // (1 − g)^lag, in the order the sweep multiplies
            for t in (0..n).rev() {
                assert_eq!(
                    d[t].to_bits(),
                    (g * keep).to_bits(),
                    "g = {g}, n = {n}, t = {t}"
                );
                let closed = g * (1.0 - g).powi((n - 1 - t) as i32);
                assert!(
                    (d[t] - closed).abs() <= 1e-12 * closed.abs().max(1e-300) || closed < 1e-290
                );
                keep *= 1.0 - g;
            }
        }
    }
}

#[test]
fn long_streams_are_checkpointed_not_taped() {
    let g = gradients(
        &recurrence("0.5 * s + x"),
        None,
        Some(&[vec![1.0; 10_000]]),
        Mode::Reverse,
        None,
    )
    .unwrap();
    assert!(g.checkpointing.every > 1 && g.checkpointing.every < 10_000);
    assert!(g.checkpointing.checkpoints > 1);
}

#[test]
fn a_read_inside_each_is_differentiated_at_the_element_asked() {
    let src = "board 1\nstream x = [1, 2, 3, 4]\nwrite s = 0\neach x {\n  write s = 0.5 * s + x\n  read s\n}\n";
    for mode in [Mode::Reverse, Mode::Forward] {
        let all = gradients(src, None, None, mode, None).unwrap();
        assert_eq!(all.reads.len(), 4, "one curve per element read");
        assert_eq!(all.counts, [4]);
        let last = &all.reads[3];
        assert_eq!(last.index, Some(3));
        assert_eq!(last.streams[0], vec![0.125, 0.25, 0.5, 1.0]);
        let second = gradients(src, None, None, mode, Some(1)).unwrap();
        assert_eq!(second.reads.len(), 1);
        assert_eq!(second.reads[0].index, Some(1));
        assert_eq!(second.reads[0].value, Some(2.5));
        assert_eq!(second.reads[0].streams[0], vec![0.5, 1.0, 0.0, 0.0]);
        assert_eq!(all.reads[1], second.reads[0]);
        let past = gradients(src, None, None, mode, Some(9)).unwrap();
        assert_eq!(past.reads.len(), 1);
        assert_eq!(past.reads[0].value, None);
    }
}

/// A read inside the loop has one curve per element read: ∂s_i/∂x[t] is
/// 0.5^(i − t) for t ≤ i and 0 after (the future does not count); past
/// `2 · FOLD` elements, the first and the last `FOLD` reads.
#[test]
fn a_read_inside_each_has_one_curve_per_element_folded() {
    let src = "board 1\nstream x = []\nwrite s = 0\neach x {\n  write s = 0.5 * s + x\n  read s\n}\nread s\n";
    for n in [0usize, 1, 5, 6, 7, 40, 3000] {
        let xs = vec![vec![1.0; n]];
        let rev = gradients(src, None, Some(&xs), Mode::Reverse, None).unwrap();
        let want: Vec<u64> = grad::selection(n as u64, None);
        assert_eq!(want.len(), n.min(2 * grad::FOLD as usize));
        let inside: Vec<_> = rev.reads.iter().filter(|g| g.output == 0).collect();
        assert_eq!(rev.counts, [n as u64, 1]);
        if n == 0 {
            assert_eq!(inside.len(), 1);
            assert_eq!(inside[0].value, None);
            continue;
        }
        let at: Vec<u64> = inside.iter().map(|g| g.index.unwrap()).collect();
        assert_eq!(at, want, "n = {n}");
        for g in &inside {
            let i = g.index.unwrap() as i32;
            for (t, &d) in g.streams[0].iter().enumerate() {
                let t = t as i32;
                let exact = if t <= i { 0.5f64.powi(i - t) } else { 0.0 };
                assert_eq!(d, exact, "n = {n}, read at {i}, t = {t}");
            }
        }
        // The read after the loop is the read at the last element.
        let after = rev.reads.iter().find(|g| g.output == 1).unwrap();
        assert_eq!(after.streams, inside.last().unwrap().streams);
        if n <= 40 {
            let fwd = gradients(src, None, Some(&xs), Mode::Forward, None).unwrap();
            assert_eq!(fwd.reads, rev.reads);
        }
    }
}

/// `each` inside `repeat`: every pass over the stream adds to the same
/// element's gradient, and the reads are those of the last pass.
#[test]
fn an_each_inside_a_repeat_goes_over_the_stream_every_time() {
    let src = "board 1\nstream x = [1, 2, 3]\nwrite s = 0\nrepeat 2 {\n  each x {\n    write s = 0.5 * s + x\n    read s\n  }\n}\nread s\n";
    for mode in [Mode::Reverse, Mode::Forward] {
        let g = gradients(src, None, None, mode, None).unwrap();
        // Six steps: s = Σ 0.5^(5 − k) x[k mod 3]; the last read is s after step 5.
        let last = g.reads.iter().find(|r| r.output == 1).unwrap();
        assert_eq!(
            last.streams[0],
            vec![0.25 + 0.03125, 0.5 + 0.0625, 1.0 + 0.125]
        );
        let at0 = g.reads.iter().find(|r| r.index == Some(0)).unwrap();
        // The read at element 0 of the second pass: step 3.
        assert_eq!(at0.streams[0], vec![1.0 + 0.125, 0.25, 0.5]);
        assert_eq!(at0.value, Some(3.125));
        assert_eq!(last.value, Some(4.78125));
    }
}

#[test]
fn conventions_are_reported_where_they_are_used() {
    let src = "board 2\ninput a = 0, b = 2\nwrite m = abs(a) + min(b, 2) + sqrt(a)\nread m\n";
    let g = gradients(src, None, None, Mode::Reverse, None).unwrap();
    let used: Vec<_> = g.notes.used.keys().map(|c| c.id()).collect();
    assert_eq!(used, ["abs_at_zero", "min_max_tie", "sqrt_at_zero"]);
    assert_eq!(g.reads[0].inputs[0], f64::INFINITY);
    assert_eq!(g.reads[0].inputs[1], 1.0);
}

// ---- generated programs ------------------------------------------------

/// A small deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn num(&mut self) -> String {
        format!("{}", (self.unit() * 100.0).round() / 100.0)
    }

    /// An expression over `names`, bounded in size.
    fn expr(&mut self, names: &[&str], depth: u32) -> String {
        if depth == 0 || self.below(4) == 0 {
            return if self.below(3) == 0 {
                self.num().replace('-', "0 - ")
            } else {
                names[self.below(names.len() as u64) as usize].to_owned()
            };
        }
        let a = self.expr(names, depth - 1);
        let b = self.expr(names, depth - 1);
        match self.below(12) {
            0 | 1 => format!("({a} + {b})"),
            2 => format!("({a} - {b})"),
            3 | 4 => format!("({a} * {b})"),
            5 => format!("tanh({a})"),
            6 => format!("sigmoid({a})"),
            7 => format!("({a} / (1.5 + tanh({b})))"),
            8 => format!("max({a}, {b})"),
            9 => format!("abs({a})"),
            10 => format!("exp(tanh({a}))"),
            _ => format!("sqrt(1 + {a} * {a})"),
        }
    }

    /// A bounded update of `target`.
    fn update(&mut self, target: &str, names: &[&str]) -> String {
        let e = self.expr(names, 3);
        match self.below(4) {
            0 => format!("write {target} = {e} gate sigmoid({})", self.expr(names, 2)),
            1 => format!(
                "write {target} = tanh({e}) when {} > 0",
                self.expr(names, 1)
            ),
            _ => format!("write {target} = tanh({e})"),
        }
    }
}

/// A program with inputs `a`, `b`, a stream `x` of `n` elements, two
/// values carried through an `each` (with a nested `repeat`), reads inside
/// and after.
fn program(seed: u64, n: usize) -> String {
    let mut g = Gen(seed | 1);
    let xs: Vec<String> = (0..n).map(|_| g.num()).collect();
    let mut src = format!(
        "board 3\ninput a = {}, b = {}\nstream x = [{}]\n",
        g.num(),
        g.num(),
        xs.join(", ")
    );
    src += &format!("write s = tanh({})\n", g.expr(&["a", "b"], 2));
    src += &format!("write u = tanh({})\n", g.expr(&["a", "b", "s"], 2));
    let twice = g.below(3) == 0;
    if twice {
        src += "repeat 2 {\n";
    }
    src += "each x {\n";
    let inner = ["s", "u", "x", "a", "b"];
    src += &format!("  {}\n", g.update("s", &inner));
    src += &format!(
        "  repeat {} {{\n    {}\n  }}\n",
        1 + g.below(2),
        g.update("u", &inner)
    );
    if g.below(2) == 0 {
        src += &format!("  read {}\n", g.expr(&inner, 2));
    }
    src += "}\n";
    if twice {
        src += "}\n";
    }
    src += &format!("read s, u, {}\n", g.expr(&["s", "u", "a"], 2));
    src
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol || (a.is_nan() && b.is_nan()) || a == b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// Two ways of chaining the same local rules give the same numbers (up
    /// to the order of the sums).
    #[test]
    fn reverse_mode_agrees_with_forward_mode(seed in any::<u64>(), n in 0usize..12) {
        let src = program(seed, n);
        let rev = gradients(&src, None, None, Mode::Reverse, None);
        let fwd = gradients(&src, None, None, Mode::Forward, None);
        let (rev, fwd) = match (rev, fwd) {
            (Ok(r), Ok(f)) => (r, f),
            (Err(a), Err(b)) => { prop_assert_eq!(a, b); return Ok(()); }
            (r, f) => return Err(TestCaseError::fail(format!("{r:?} vs {f:?}\n{src}"))),
        };
        prop_assert_eq!(rev.reads.len(), fwd.reads.len());
        prop_assert_eq!(&rev.counts, &fwd.counts);
        for (r, f) in rev.reads.iter().zip(&fwd.reads) {
            prop_assert_eq!(r.output, f.output);
            prop_assert_eq!(r.value.map(f64::to_bits), f.value.map(f64::to_bits), "{}", src);
            prop_assert_eq!(r.index, f.index);
            let all_r = r.inputs.iter().chain(r.streams.iter().flatten());
            let all_f = f.inputs.iter().chain(f.streams.iter().flatten());
            for (x, y) in all_r.zip(all_f) {
                prop_assert!(close(*x, *y, 1e-12 * (1.0 + x.abs())), "{x} vs {y}\n{src}");
            }
        }
    }
}

/// Central differences of every read by one variable, `set` putting `v`
/// in its place; `None` where a branch changes within ±h (the derivative
/// itself jumps), else whether they agree within the step's tolerance.
fn central_difference_agrees(
    src: &str,
    set: &dyn Fn(f64) -> (Vec<f64>, Vec<Vec<f64>>),
    v: f64,
    pick: &dyn Fn(&wb::grad::ReadGrad) -> f64,
) -> Vec<Option<bool>> {
    let h = 1e-5 * v.abs().max(1.0);
    let at = |v: f64| {
        let (s, st) = set(v);
        gradients(src, Some(&s), Some(&st), Mode::Reverse, None)
    };
    let (Ok(g0), Ok(gp), Ok(gm)) = (at(v), at(v + h), at(v - h)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for r in 0..g0.reads.len() {
        let (Some(fp), Some(fm)) = (gp.reads[r].value, gm.reads[r].value) else {
            continue;
        };
        let (d0, dp, dm) = (pick(&g0.reads[r]), pick(&gp.reads[r]), pick(&gm.reads[r]));
        if !(d0.is_finite() && dp.is_finite() && dm.is_finite()) {
            out.push(None);
            continue;
        }
        // A derivative that jumps between v − h and v + h: a kink or a
        // branch change in the interval.
        if (dp - dm).abs() > 1e-3 * (1.0 + d0.abs()) {
            out.push(None);
            continue;
        }
        let fd = (fp - fm) / (2.0 * h);
        // Truncation h²·f'''/6, f''' from the derivatives' second
        // difference; rounding ε·|f|/h; a factor 10 of room.
        let third = (dp - 2.0 * d0 + dm).abs() / (h * h);
        let tol = 10.0 * (h * h * third / 6.0 + f64::EPSILON * fp.abs().max(fm.abs()).max(1.0) / h);
        out.push(Some((fd - d0).abs() <= tol));
    }
    out
}

/// One variable to perturb: how to set it, its value, its derivative.
type Variable = (
    Box<dyn Fn(f64) -> (Vec<f64>, Vec<Vec<f64>>)>,
    f64,
    Box<dyn Fn(&wb::grad::ReadGrad) -> f64>,
);

#[test]
fn reverse_mode_agrees_with_central_differences_away_from_kinks() {
    let (mut checked, mut skipped) = (0, 0);
    for seed in 1..120u64 {
        let n = (seed % 7) as usize;
        let src = program(seed * 7919, n);
        let parsed = wb::syntax::parse(&src);
        let analysis = wb::check::check(&parsed.program, None);
        let b = wb::interp::bind(
            &analysis.symbols,
            &parsed.program.names,
            &Default::default(),
        )
        .unwrap();
        let mut vars: Vec<Variable> = Vec::new();
        for i in 0..b.scalars.len() {
            let b2 = b.clone();
            vars.push((
                Box::new(move |v| {
                    let mut s = b2.scalars.clone();
                    s[i] = v;
                    (s, b2.streams.clone())
                }),
                b.scalars[i],
                Box::new(move |g| g.inputs[i]),
            ));
        }
        for t in 0..n {
            let b2 = b.clone();
            vars.push((
                Box::new(move |v| {
                    let mut st = b2.streams.clone();
                    st[0][t] = v;
                    (b2.scalars.clone(), st)
                }),
                b.streams[0][t],
                Box::new(move |g| g.streams[0][t]),
            ));
        }
        for (set, v, pick) in &vars {
            for verdict in central_difference_agrees(&src, set.as_ref(), *v, pick.as_ref()) {
                match verdict {
                    Some(ok) => {
                        assert!(ok, "seed {seed}, program:\n{src}");
                        checked += 1;
                    }
                    None => skipped += 1,
                }
            }
        }
    }
    println!("central differences: {checked} derivatives checked, {skipped} skipped at a kink or branch change");
    assert!(checked > 500, "only {checked} checked");
    assert!(
        skipped * 5 < checked,
        "{skipped} skipped of {}",
        checked + skipped
    );
}

// ---- the command -------------------------------------------------------

fn wb(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wb"))
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("wb runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

#[test]
fn every_example_shows_what_it_can_or_says_why_not() {
    let mut seen = 0;
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wb") {
            continue;
        }
        seen += 1;
        let p = path.display().to_string();
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("g.svg");
        let (code, out, err) = wb(&["grad", &p, "--svg", &svg.display().to_string()]);
        assert_eq!(code, 0, "{p}: {err}");
        assert!(out.starts_with("read "), "{p}: {out}");
        let has_stream = std::fs::read_to_string(&path).unwrap().contains("stream ");
        if has_stream {
            assert!(out.contains("gradient flow over `x`"), "{p}: {out}");
            let pic = std::fs::read_to_string(&svg).expect("a picture");
            assert!(
                // A read whose gradient is exactly 0 everywhere (a count
                // gated by a comparison) is drawn on the zero band alone.
                pic.starts_with("<svg")
                    && (pic.contains("class=\"read\"") || pic.contains("class=\"zero\"")),
                "{p}"
            );
        } else {
            assert!(!svg.exists(), "{p}: no stream, no picture");
            assert!(err.starts_with("no picture: "), "{p}: {err}");
        }
    }
    assert!(seen >= 7);
}

#[test]
fn examples_say_what_their_derivatives_are() {
    let (_, out, _) = wb(&["grad", "examples/whiteboard.wb"]);
    assert!(
        out.contains("∂/∂a     186\n") && out.contains("∂/∂d      16\n"),
        "{out}"
    );
    let (_, out, err) = wb(&["grad", "examples/fibonacci.wb", "--svg", "/dev/null"]);
    assert_eq!(
        out,
        "read a = 55  (line 10)\nnothing to show: the program has no inputs and no streams: every read is a constant, with nothing to differentiate it by\n"
    );
    assert!(
        err.contains("no picture: the program has no inputs and no streams"),
        "{err}"
    );
    let (_, out, _) = wb(&["grad", "examples/ema.wb"]);
    assert!(
        out.contains("  0  0.015625\n") && out.contains("  5       0.5\n"),
        "{out}"
    );
    let (_, out, _) = wb(&["grad", "examples/running_max.wb"]);
    assert!(
        out.contains("the read at element 7") && out.contains("convention: `when` condition"),
        "{out}"
    );
}

#[test]
fn json_holds_every_derivative_and_names_infinities() {
    let (code, out, _) = wb(&["grad", "--json", "examples/ema.wb", "--stream", "x=1,2,3"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["mode"], "reverse");
    assert_eq!(v["reads"][0]["text"], "avg");
    assert_eq!(
        v["reads"][0]["streams"]["x"],
        serde_json::json!([0.125, 0.25, 0.5])
    );
    assert!(v["reads"][0]["inputs"]["alpha"].is_number());
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "inf.wb",
        "board 1\ninput a = 0\nwrite r = sqrt(a)\nread r\n",
    );
    let (code, out, _) = wb(&["grad", "--json", &p]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reads"][0]["inputs"]["a"], "+inf");
    assert_eq!(v["conventions"][0]["id"], "sqrt_at_zero");
    let (_, table, _) = wb(&["grad", &p]);
    assert!(
        table.contains("∂/∂a  +inf") && table.contains("convention: sqrt at 0: derivative +inf"),
        "{table}"
    );
    assert!(table.contains("some derivatives are infinite"), "{table}");
}

#[test]
fn forward_mode_gives_the_same_derivatives_up_to_rounding() {
    let (_, rev, _) = wb(&["grad", "--json", "examples/stream_stats.wb"]);
    let (_, fwd, _) = wb(&[
        "grad",
        "--json",
        "--mode",
        "forward",
        "examples/stream_stats.wb",
    ]);
    let (rev, fwd): (Value, Value) = (
        serde_json::from_str(&rev).unwrap(),
        serde_json::from_str(&fwd).unwrap(),
    );
    assert_eq!(fwd["mode"], "forward");
    for r in 0..4 {
        assert_eq!(rev["reads"][r]["value"], fwd["reads"][r]["value"]);
        let a = rev["reads"][r]["streams"]["x"].as_array().unwrap();
        let b = fwd["reads"][r]["streams"]["x"].as_array().unwrap();
        assert_eq!(a.len(), 8);
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() < 1e-15, "{x} vs {y}");
        }
    }
    let (_, table, _) = wb(&["grad", "--mode", "forward", "examples/stream_stats.wb"]);
    assert!(table.contains("\nforward mode (exact, f64)\n"), "{table}");
}

#[test]
fn underflowed_zeros_are_drawn_on_their_own_band() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(&dir, "half.wb", &recurrence("0.5 * s + x"));
    let xs = dir.path().join("xs.txt");
    std::fs::write(&xs, "1\n".repeat(3000)).unwrap();
    let svg = dir.path().join("half.svg");
    let (code, out, err) = wb(&[
        "grad",
        &p,
        "--stream",
        &format!("x=@{}", xs.display()),
        "--svg",
        &svg.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("gradient flow over `x` (3000 elements)"),
        "{out}"
    );
    let row = |t: &str| {
        out.lines()
            .find(|l| l.split_whitespace().next() == Some(t))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_owned())
    };
    assert_eq!(
        row("0").as_deref(),
        Some("0"),
        "an exact 0 from underflow: {out}"
    );
    assert_eq!(row("2999").as_deref(), Some("1"), "{out}");
    assert_eq!(row("2998").as_deref(), Some("0.5"), "{out}");
    let pic = std::fs::read_to_string(&svg).unwrap();
    assert!(pic.contains("class=\"zero\"") && pic.contains("class=\"read\""));
    assert!(
        [">1e-30", ">1e-31", ">1e-32"]
            .iter()
            .any(|l| pic.contains(l)),
        "the axis reaches the subnormals"
    );
}

#[test]
fn a_failing_run_is_reported_by_the_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "ln.wb",
        "board 1\nstream x = [1, 0]\nwrite s = 0\neach x {\n  write s = s + ln(x)\n}\nread s\n",
    );
    let (code, _, err) = wb(&["grad", &p]);
    assert_eq!(code, 1);
    assert!(
        err.contains("wb::not_finite") && err.contains("element 1"),
        "{err}"
    );
    let (code, _, err) = wb(&["grad", &p, "--set", "y=1"]);
    assert_eq!(code, 2);
    assert!(err.contains("no input `y`"), "{err}");
    let (code, _, err) = wb(&["grad", &p, "--stream", "x=@/nonexistent/file"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = wb(&["grad", "/nonexistent.wb"]);
    assert_eq!(code, 2);
    let (code, _, err) = wb(&["grad", "examples/errors/overflow.wb"]);
    assert_eq!(code, 1);
    assert!(err.contains("wb::board_full"), "{err}");
}

/// A read inside a 1000-element loop: six curves (the reads at elements 0,
/// 1, 2, 997, 998, 999) in the table, the JSON and the picture, each saying
/// what was folded.
#[test]
fn a_read_inside_a_long_loop_is_shown_folded_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let xs: Vec<String> = (0..1000).map(|_| "1".to_owned()).collect();
    let data = file(&dir, "x.txt", &xs.join("\n"));
    let src = file(
        &dir,
        "in_loop.wb",
        "board 1\nstream x = []\nwrite s = 0\neach x {\n  write s = 0.5 * s + x\n  read s\n}\n",
    );
    let stream = format!("x=@{data}");
    let svg = dir.path().join("flow.svg");
    let svg_arg = svg.display().to_string();
    let (code, out, err) = wb(&["grad", &src, "--stream", &stream, "--svg", &svg_arg]);
    assert_eq!(code, 0, "{err}");
    let header = out
        .lines()
        .find(|l| l.trim_start().starts_with("t "))
        .expect("a header");
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        ["t", "s@0", "s@1", "s@2", "s@997", "s@998", "s@999"]
    );
    assert!(out.contains("`s` (line 6) is read at each of 1000 elements; shown: the first 3 and the last 3 (`--at K` for the read at element K)"), "{out}");
    // The row of the last element: only the read at 999 depends on it.
    let last = out
        .lines()
        .find(|l| l.trim_start().starts_with("999 "))
        .unwrap();
    assert_eq!(
        last.split_whitespace().collect::<Vec<_>>(),
        ["999", "0", "0", "0", "0", "0", "1"]
    );
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(picture.matches("class=\"read\"").count(), 6);
    assert!(picture.contains("s (line 6) at element 998"));
    assert!(picture.contains("is read at each of 1000 elements"));

    let (code, out, _) = wb(&["grad", &src, "--stream", &stream, "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let index: Vec<u64> = v["reads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(index, [0, 1, 2, 997, 998, 999]);
    assert_eq!(v["folded"][0]["reads"], 1000);
    assert_eq!(v["reads"][4]["streams"]["x"][997], 0.5);
    assert_eq!(v["reads"][4]["streams"]["x"][999], 0);

    // `--at K` gives the read at element K alone.
    let (code, out, _) = wb(&["grad", &src, "--stream", &stream, "--at", "500", "--json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reads"].as_array().unwrap().len(), 1);
    assert_eq!(v["reads"][0]["index"], 500);
    assert_eq!(v["reads"][0]["streams"]["x"][499], 0.5);
}

/// A stream file is buffered (the sweep goes over it backwards) up to
/// 16 777 216 elements; one element more is refused with a usage error
/// before anything is differentiated.
#[test]
fn a_stream_file_past_the_buffer_bound_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.txt");
    let line = "1\n".repeat(1 << 20);
    let mut text = String::with_capacity(line.len() * 16 + 2);
    for _ in 0..16 {
        text.push_str(&line);
    }
    text.push_str("1\n");
    std::fs::write(&path, text).unwrap();
    let src = file(
        &dir,
        "carry.wb",
        "board 1\nstream x = []\nwrite s = 0\neach x {\n  write s = s + x\n}\nread s\n",
    );
    let stream = format!("x=@{}", path.display());
    let (code, out, err) = wb(&["grad", &src, "--stream", &stream]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("holds its streams in memory") && err.contains("at most 16777216 elements"),
        "{err}"
    );
}
