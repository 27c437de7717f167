//! The opt-in `gradients` lint (`wb check --lint gradients`): in a loop
//! body, a value whose update has a derivative with respect to its old
//! value that is a constant other than 1, known without running, makes the
//! influence of early elements vanish (|c| < 1) or explode (|c| > 1) over a
//! long stream. Values updated together are taken together: their
//! iteration's Jacobian, when every entry is a constant, has a largest
//! eigenvalue (in magnitude) that decides the same, by Gelfand's formula
//! (`ρ = lim ‖Jⁿ‖^(1/n)`, computed by repeated squaring).
//!
//! What keeps influence alive, and is not warned about: the carousel
//! (coefficient exactly 1, `write s = s + x`), and any coefficient that
//! depends on the data (a `when` gate, a soft gate computed from the
//! stream, a product of two values). A constant soft gate is warned about:
//! it vanishes just the same.
//!
//! Must not know: values of a run. It reads the syntax tree only.

use crate::check::{NameKind, Symbols};
use crate::diag::{Code, Diagnostic};
use crate::number;
use crate::syntax::{BinOp, Func, Gate, NameId, OpKind, Program, Span, Stmt, StmtKind};

/// An abstract coefficient or value: a known number, an expression of the
/// inputs (the same at every iteration; its value with the inputs'
/// defaults, when they all have one), or something that depends on the data.
#[derive(Clone, Debug, PartialEq)]
enum Abs {
    Num(f64),
    Sym(String, Option<f64>),
    Data,
}

impl Abs {
    fn is_zero(&self) -> bool {
        *self == Abs::Num(0.0)
    }

    fn value(&self) -> Option<f64> {
        match self {
            Abs::Num(v) => Some(*v),
            Abs::Sym(_, v) => *v,
            Abs::Data => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Abs::Num(v) => number::format(*v),
            Abs::Sym(t, _) => t.clone(),
            Abs::Data => "…".to_owned(),
        }
    }

    /// As an operand of a product: parenthesised unless atomic.
    fn factor(&self) -> String {
        let t = self.text();
        if t.contains(' ') && !(t.starts_with('(') && t.ends_with(')')) {
            format!("({t})")
        } else {
            t
        }
    }

    fn combine(a: &Abs, b: &Abs, op: BinOp) -> Abs {
        match (a, b) {
            (Abs::Data, _) | (_, Abs::Data) => Abs::Data,
            (Abs::Num(x), Abs::Num(y)) => Abs::Num(crate::arith::binary_value(op, *x, *y)),
            _ => {
                let v = match (a.value(), b.value()) {
                    (Some(x), Some(y)) => Some(crate::arith::binary_value(op, x, y)),
                    _ => None,
                };
                let text = match op {
                    BinOp::Add | BinOp::Sub => {
                        format!("{} {} {}", a.text(), op.symbol(), b.factor())
                    }
                    _ => format!("{} {} {}", a.factor(), op.symbol(), b.factor()),
                };
                Abs::Sym(text, v)
            }
        }
    }

    fn add(a: &Abs, b: &Abs) -> Abs {
        if a.is_zero() {
            return b.clone();
        }
        if b.is_zero() {
            return a.clone();
        }
        Abs::combine(a, b, BinOp::Add)
    }

    fn sub(a: &Abs, b: &Abs) -> Abs {
        if b.is_zero() {
            return a.clone();
        }
        if a.is_zero() {
            return Abs::neg(b);
        }
        Abs::combine(a, b, BinOp::Sub)
    }

    fn mul(a: &Abs, b: &Abs) -> Abs {
        if a.is_zero() || b.is_zero() {
            return Abs::Num(0.0);
        }
        if *a == Abs::Num(1.0) {
            return b.clone();
        }
        if *b == Abs::Num(1.0) {
            return a.clone();
        }
        Abs::combine(a, b, BinOp::Mul)
    }

    fn neg(a: &Abs) -> Abs {
        match a {
            Abs::Num(v) => Abs::Num(-v),
            Abs::Sym(_, v) => Abs::Sym(format!("-{}", a.factor()), v.map(|v| -v)),
            Abs::Data => Abs::Data,
        }
    }
}

/// A value during the walk of a body: what it is, and its derivative with
/// respect to each carried value at the start of the iteration.
#[derive(Clone, Debug)]
struct Lin {
    val: Abs,
    row: Vec<Abs>,
}

impl Lin {
    fn constant(val: Abs, k: usize) -> Lin {
        Lin {
            val,
            row: vec![Abs::Num(0.0); k],
        }
    }

    fn flat(&self) -> bool {
        self.row.iter().all(Abs::is_zero)
    }

    /// The row scaled: Data wherever this depends on the state.
    fn data_where_live(&self) -> Vec<Abs> {
        self.row
            .iter()
            .map(|c| {
                if c.is_zero() {
                    Abs::Num(0.0)
                } else {
                    Abs::Data
                }
            })
            .collect()
    }
}

/// Every warning of the lint, in source order.
pub fn gradients(program: &Program, symbols: &Symbols) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let lint = Lint { program, symbols };
    for item in &program.items {
        if let crate::syntax::Item::Stmt(s) = item {
            lint.stmt(s, &mut out);
        }
    }
    out
}

struct Lint<'a> {
    program: &'a Program,
    symbols: &'a Symbols,
}

impl Lint<'_> {
    fn stmt(&self, s: &Stmt, out: &mut Vec<Diagnostic>) {
        match &s.kind {
            StmtKind::Each { body, .. } => {
                self.body(body, None, out);
                for b in body {
                    self.stmt(b, out);
                }
            }
            StmtKind::Repeat { count, body } => {
                self.body(body, Some(*count), out);
                for b in body {
                    self.stmt(b, out);
                }
            }
            _ => {}
        }
    }

    fn name(&self, id: NameId) -> &str {
        self.program.names.text(id)
    }

    /// The carried values of a body: written in it (not in a nested loop)
    /// and read there before they are written, or blended by a gate.
    fn carried(&self, body: &[Stmt]) -> Vec<NameId> {
        let mut written: Vec<NameId> = Vec::new();
        let mut carried: Vec<NameId> = Vec::new();
        let mut read_first: Vec<NameId> = Vec::new();
        for s in body {
            let mut reads: Vec<NameId> = Vec::new();
            collect_reads(s, &mut reads);
            for r in reads {
                if !written.contains(&r) && !read_first.contains(&r) {
                    read_first.push(r);
                }
            }
            if let StmtKind::Write { target, gate, .. } = &s.kind {
                if gate.is_some()
                    && !written.contains(&target.id)
                    && !read_first.contains(&target.id)
                {
                    read_first.push(target.id);
                }
                written.push(target.id);
            }
        }
        for r in read_first {
            if written.contains(&r) && !carried.contains(&r) {
                carried.push(r);
            }
        }
        carried
    }

    fn body(&self, body: &[Stmt], count: Option<u64>, out: &mut Vec<Diagnostic>) {
        let state = self.carried(body);
        let k = state.len();
        if k == 0 {
            return;
        }
        let mut env: Vec<(NameId, Lin)> = state
            .iter()
            .enumerate()
            .map(|(i, &id)| {
                let mut row = vec![Abs::Num(0.0); k];
                row[i] = Abs::Num(1.0);
                (
                    id,
                    Lin {
                        val: Abs::Data,
                        row,
                    },
                )
            })
            .collect();
        let mut last_write: Vec<Option<Span>> = vec![None; k];
        for s in body {
            match &s.kind {
                StmtKind::Write {
                    target,
                    value,
                    gate,
                } => {
                    let e = self.expr(value, &env, k);
                    let old = lookup(&env, target.id).cloned().unwrap_or_else(|| {
                        Lin::constant(Abs::Sym(self.name(target.id).to_owned(), None), k)
                    });
                    let new = match gate.as_deref() {
                        None => e,
                        Some(Gate::When(c)) => {
                            let c = self.expr(c, &env, k);
                            match c.val {
                                Abs::Num(v) if v != 0.0 => e,
                                Abs::Num(_) => old,
                                _ => Lin {
                                    val: Abs::Data,
                                    row: old
                                        .row
                                        .iter()
                                        .zip(&e.row)
                                        .map(|(a, b)| if a == b { a.clone() } else { Abs::Data })
                                        .collect(),
                                },
                            }
                        }
                        Some(Gate::Soft(g)) => {
                            let g = self.expr(g, &env, k);
                            if g.flat() {
                                let keep = Abs::sub(&Abs::Num(1.0), &g.val);
                                Lin {
                                    val: Abs::Data,
                                    row: old
                                        .row
                                        .iter()
                                        .zip(&e.row)
                                        .map(|(a, b)| {
                                            Abs::add(&Abs::mul(&keep, a), &Abs::mul(&g.val, b))
                                        })
                                        .collect(),
                                }
                            } else {
                                Lin {
                                    val: Abs::Data,
                                    row: vec![Abs::Data; k],
                                }
                            }
                        }
                    };
                    if let Some(i) = state.iter().position(|&n| n == target.id) {
                        last_write[i] = Some(s.span);
                    }
                    set(&mut env, target.id, new);
                }
                StmtKind::Each { body: inner, .. } | StmtKind::Repeat { body: inner, .. } => {
                    // A nested loop: what it writes is taken as data.
                    let mut w = Vec::new();
                    collect_writes(inner, &mut w);
                    for id in w {
                        set(
                            &mut env,
                            id,
                            Lin {
                                val: Abs::Data,
                                row: vec![Abs::Data; k],
                            },
                        );
                    }
                }
                StmtKind::Forget(_) | StmtKind::Read(_) => {}
            }
        }
        let jac: Vec<Vec<Abs>> = state
            .iter()
            .map(|&id| lookup(&env, id).map_or(vec![Abs::Data; k], |l| l.row.clone()))
            .collect();
        for group in groups(&jac) {
            if let Some(d) = self.verdict(&state, &jac, &group, &last_write, count) {
                out.push(d);
            }
        }
    }

    fn verdict(
        &self,
        state: &[NameId],
        jac: &[Vec<Abs>],
        group: &[usize],
        spans: &[Option<Span>],
        count: Option<u64>,
    ) -> Option<Diagnostic> {
        let names: Vec<String> = group
            .iter()
            .map(|&i| format!("`{}`", self.name(state[i])))
            .collect();
        let span = spans[group[0]]?;
        let over = match count {
            Some(n) => format!("{n} iteration{}", if n == 1 { "" } else { "s" }),
            None => "a long stream".to_owned(),
        };
        let keep = "to keep it, carry the value with coefficient 1 (the carousel, `write s = s + …`), or write it through a gate that the data keeps closed most of the time (`write s = … when …`, or a soft gate computed from the data); a constant soft gate vanishes just the same";
        let (coef, value, label) = if group.len() == 1 {
            let i = group[0];
            let c = &jac[i][i];
            let name = self.name(state[i]);
            let v = match c {
                Abs::Data => return None,
                Abs::Num(v) if *v == 1.0 => return None,
                _ => c.value(),
            };
            (
                format!("`{}`", c.text()),
                v,
                format!("∂{name}/∂(old {name}) = {}", c.text()),
            )
        } else {
            let m: Option<Vec<Vec<f64>>> = group
                .iter()
                .map(|&i| {
                    group
                        .iter()
                        .map(|&j| match jac[i][j] {
                            Abs::Num(v) => Some(v),
                            _ => None,
                        })
                        .collect()
                })
                .collect();
            let rho = spectral_radius(&m?);
            if (rho - 1.0).abs() <= 1e-9 {
                return None;
            }
            (
                format!(
                    "a matrix whose largest eigenvalue has magnitude {}",
                    short(rho)
                ),
                Some(rho),
                format!(
                    "{} updated together: largest |eigenvalue| {}",
                    names.join(", "),
                    short(rho)
                ),
            )
        };
        let what = match value {
            Some(v) if v.abs() < 1.0 => "vanishes",
            Some(_) => "explodes",
            None => "vanishes or explodes",
        };
        let subject = if group.len() == 1 {
            "its derivative"
        } else {
            "their derivatives"
        };
        let mut d = Diagnostic::warning(
            Code::GradientFlow,
            format!(
                "the influence of early elements on {} {what} over {over}: each iteration multiplies {subject} by {coef}",
                names.join(", ")
            ),
            span,
            label,
        );
        for &i in &group[1..] {
            if let Some(s) = spans[i] {
                d = d.with_label(s, format!("`{}` is updated here", self.name(state[i])));
            }
        }
        let scale = match (value, count) {
            (Some(v), Some(n)) if v.abs() != 1.0 => format!(
                "after {n} iterations the first one's influence is multiplied by {}",
                short(v.abs().powf(n as f64))
            ),
            (Some(v), None) if v.abs() != 1.0 => format!(
                "an element 100 iterations back counts {} times as much as the last, 1000 back {} times",
                short(v.abs().powi(100)),
                short(v.abs().powi(1000))
            ),
            (None, _) => format!("it is 1 only when {coef} equals 1"),
            _ => String::new(),
        };
        let default = match (&jac[group[0]][group[0]], group.len()) {
            (Abs::Sym(t, Some(v)), 1) => {
                format!("with the inputs' defaults `{t}` is {}: ", short(*v))
            }
            _ => String::new(),
        };
        Some(d.with_help(format!("{default}{scale}; {keep}")))
    }

    fn expr(&self, e: &crate::syntax::Expr, env: &[(NameId, Lin)], k: usize) -> Lin {
        let mut stack: Vec<Lin> = Vec::new();
        let zero = || vec![Abs::Num(0.0); k];
        for op in e.ops.iter() {
            let v = match op.kind() {
                OpKind::Num(v) => Lin::constant(Abs::Num(v), k),
                OpKind::Name(id) => match lookup(env, id) {
                    Some(l) => l.clone(),
                    None => match self.symbols.kind(id) {
                        NameKind::Input(i) => Lin::constant(
                            Abs::Sym(
                                self.name(id).to_owned(),
                                self.symbols.inputs.get(i).and_then(|d| d.default),
                            ),
                            k,
                        ),
                        NameKind::Stream(_) => Lin::constant(Abs::Data, k),
                        // A board value the body does not write: the same
                        // at every iteration.
                        _ => Lin::constant(Abs::Sym(self.name(id).to_owned(), None), k),
                    },
                },
                OpKind::Neg => {
                    let a = stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k));
                    Lin {
                        val: Abs::neg(&a.val),
                        row: a.row.iter().map(Abs::neg).collect(),
                    }
                }
                OpKind::Bin(b) => {
                    let y = stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k));
                    let x = stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k));
                    let val = if b.is_comparison() || b == BinOp::Rem || b == BinOp::Pow {
                        match (&x.val, &y.val) {
                            (Abs::Num(p), Abs::Num(q)) => {
                                Abs::Num(crate::arith::binary_value(b, *p, *q))
                            }
                            (Abs::Data, _) | (_, Abs::Data) => Abs::Data,
                            _ => Abs::combine(&x.val, &y.val, b),
                        }
                    } else {
                        match b {
                            BinOp::Add => Abs::add(&x.val, &y.val),
                            BinOp::Sub => Abs::sub(&x.val, &y.val),
                            BinOp::Mul => Abs::mul(&x.val, &y.val),
                            _ => Abs::combine(&x.val, &y.val, b),
                        }
                    };
                    let row = match b {
                        BinOp::Add => x
                            .row
                            .iter()
                            .zip(&y.row)
                            .map(|(p, q)| Abs::add(p, q))
                            .collect(),
                        BinOp::Sub => x
                            .row
                            .iter()
                            .zip(&y.row)
                            .map(|(p, q)| Abs::sub(p, q))
                            .collect(),
                        BinOp::Mul => x
                            .row
                            .iter()
                            .zip(&y.row)
                            .map(|(p, q)| Abs::add(&Abs::mul(&y.val, p), &Abs::mul(&x.val, q)))
                            .collect(),
                        BinOp::Div if y.flat() => {
                            let inv = Abs::combine(&Abs::Num(1.0), &y.val, BinOp::Div);
                            x.row.iter().map(|p| Abs::mul(&inv, p)).collect()
                        }
                        BinOp::Rem if y.flat() => x.row.clone(),
                        BinOp::Pow if y.flat() => match y.val {
                            Abs::Num(1.0) => x.row.clone(),
                            Abs::Num(0.0) => zero(),
                            _ => x.data_where_live(),
                        },
                        _ if b.is_comparison() => zero(),
                        _ => {
                            let mut r = x.data_where_live();
                            for (a, q) in r.iter_mut().zip(&y.row) {
                                if !q.is_zero() {
                                    *a = Abs::Data;
                                }
                            }
                            r
                        }
                    };
                    Lin { val, row }
                }
                OpKind::Call(f) => {
                    let (x, y) = if f.arity() == 2 {
                        let y = stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k));
                        (
                            stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k)),
                            Some(y),
                        )
                    } else {
                        (
                            stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k)),
                            None,
                        )
                    };
                    let flat = x.flat() && y.as_ref().is_none_or(Lin::flat);
                    let val = match (&x.val, y.as_ref().map(|y| &y.val)) {
                        (Abs::Num(a), None) => Abs::Num(crate::arith::call_value(f, *a, 0.0)),
                        (Abs::Num(a), Some(Abs::Num(b))) => {
                            Abs::Num(crate::arith::call_value(f, *a, *b))
                        }
                        (Abs::Data, _) | (_, Some(Abs::Data)) => Abs::Data,
                        _ => call_sym(f, &x.val, y.as_ref().map(|y| &y.val)),
                    };
                    let row = if flat {
                        zero()
                    } else {
                        let mut r = x.data_where_live();
                        if let Some(y) = &y {
                            for (a, q) in r.iter_mut().zip(&y.row) {
                                if !q.is_zero() {
                                    *a = Abs::Data;
                                }
                            }
                        }
                        r
                    };
                    Lin { val, row }
                }
            };
            stack.push(v);
        }
        stack.pop().unwrap_or_else(|| Lin::constant(Abs::Data, k))
    }
}

fn call_sym(f: Func, a: &Abs, b: Option<&Abs>) -> Abs {
    let v = match (a.value(), b.map(Abs::value)) {
        (Some(x), None) => Some(crate::arith::call_value(f, x, 0.0)),
        (Some(x), Some(Some(y))) => Some(crate::arith::call_value(f, x, y)),
        _ => None,
    };
    let args = match b {
        Some(b) => format!("{}, {}", a.text(), b.text()),
        None => a.text(),
    };
    Abs::Sym(format!("{}({args})", f.name()), v)
}

fn lookup(env: &[(NameId, Lin)], id: NameId) -> Option<&Lin> {
    env.iter().rev().find(|(n, _)| *n == id).map(|(_, l)| l)
}

fn set(env: &mut Vec<(NameId, Lin)>, id: NameId, l: Lin) {
    match env.iter_mut().find(|(n, _)| *n == id) {
        Some(slot) => slot.1 = l,
        None => env.push((id, l)),
    }
}

fn collect_reads(s: &Stmt, out: &mut Vec<NameId>) {
    match &s.kind {
        StmtKind::Write { value, gate, .. } => {
            out.extend(value.names().map(|i| i.id));
            if let Some(g) = gate {
                out.extend(g.expr().names().map(|i| i.id));
            }
        }
        StmtKind::Read(es) => {
            for e in es {
                out.extend(e.names().map(|i| i.id));
            }
        }
        StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
            for b in body {
                collect_reads(b, out);
            }
        }
        StmtKind::Forget(_) => {}
    }
}

fn collect_writes(body: &[Stmt], out: &mut Vec<NameId>) {
    for s in body {
        match &s.kind {
            StmtKind::Write { target, .. } => out.push(target.id),
            StmtKind::Each { body, .. } | StmtKind::Repeat { body, .. } => {
                collect_writes(body, out)
            }
            _ => {}
        }
    }
}

/// The carried values that influence each other, as groups (connected
/// components of the Jacobian's nonzero pattern), in order.
fn groups(jac: &[Vec<Abs>]) -> Vec<Vec<usize>> {
    let k = jac.len();
    let mut group = vec![usize::MAX; k];
    let mut out: Vec<Vec<usize>> = Vec::new();
    for start in 0..k {
        if group[start] != usize::MAX {
            continue;
        }
        let g = out.len();
        let mut members = vec![start];
        group[start] = g;
        let mut i = 0;
        while i < members.len() {
            let a = members[i];
            for b in 0..k {
                if group[b] == usize::MAX && (!jac[a][b].is_zero() || !jac[b][a].is_zero()) {
                    group[b] = g;
                    members.push(b);
                }
            }
            i += 1;
        }
        members.sort_unstable();
        out.push(members);
    }
    out
}

/// The spectral radius of a square matrix, by Gelfand's formula: the
/// matrix squared 60 times, renormalised each time, `ρ = ‖J^(2^m)‖^(1/2^m)`.
/// Exact for a nonnegative diagonalisable matrix up to rounding; for a
/// defective one the error is O(m·k / 2^m), below 1e-15.
pub fn spectral_radius(m: &[Vec<f64>]) -> f64 {
    let k = m.len();
    let mut a: Vec<Vec<f64>> = m.to_vec();
    let mut log = 0.0f64; // ln of the scale taken out so far, per 2^steps
    let norm = |a: &[Vec<f64>]| a.iter().flatten().fold(0.0f64, |s, v| s.max(v.abs()));
    let n0 = norm(&a);
    if n0 == 0.0 {
        return 0.0;
    }
    for row in &mut a {
        for v in row.iter_mut() {
            *v /= n0;
        }
    }
    log += n0.ln();
    let mut power = 1.0f64;
    for _ in 0..60 {
        let mut b = vec![vec![0.0; k]; k];
        for i in 0..k {
            for j in 0..k {
                b[i][j] = (0..k).map(|l| a[i][l] * a[l][j]).sum();
            }
        }
        let n = norm(&b);
        if n == 0.0 {
            return 0.0;
        }
        for row in &mut b {
            for v in row.iter_mut() {
                *v /= n;
            }
        }
        // ‖J^(2p)‖ = (scale^2) · n · ‖b‖: the log per unit power halves.
        power *= 2.0;
        log += n.ln() / power;
        a = b;
    }
    log.exp()
}

fn short(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if (1e-4..1e6).contains(&v.abs()) {
        let s = format!("{v:.6}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return s.to_owned();
    }
    format!("{v:.3e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spectral_radius_of_known_matrices() {
        let phi2 = (3.0 + 5f64.sqrt()) / 2.0;
        assert!((spectral_radius(&[vec![1.0, 1.0], vec![1.0, 2.0]]) - phi2).abs() < 1e-12);
        assert!((spectral_radius(&[vec![0.0, 1.0], vec![1.0, 0.0]]) - 1.0).abs() < 1e-12);
        assert!((spectral_radius(&[vec![1.0, 1.0], vec![0.0, 1.0]]) - 1.0).abs() < 1e-12);
        assert!((spectral_radius(&[vec![0.5]]) - 0.5).abs() < 1e-15);
        assert!((spectral_radius(&[vec![0.0, -2.0], vec![2.0, 0.0]]) - 2.0).abs() < 1e-12);
        assert_eq!(spectral_radius(&[vec![0.0, 1.0], vec![0.0, 0.0]]), 0.0);
    }
}
