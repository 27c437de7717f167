//! Expressions: precedence, associativity, the functions, and run-time
//! arithmetic errors, plus a property test against a reference evaluator.

mod common;

use common::eval;
use proptest::prelude::*;
use wb::diag::Code;

#[test]
fn unary_minus_binds_looser_than_power() {
    assert_eq!(eval("-2^2"), Ok(-4.0));
    assert_eq!(eval("(-2)^2"), Ok(4.0));
    assert_eq!(eval("-3 * 2"), Ok(-6.0));
    assert_eq!(eval("2 * -3"), Ok(-6.0));
    assert_eq!(eval("- - 3"), Ok(3.0));
}

#[test]
fn power_is_right_associative_and_takes_a_minus() {
    assert_eq!(eval("2^3^2"), Ok(512.0));
    assert_eq!(eval("(2^3)^2"), Ok(64.0));
    assert_eq!(eval("2^-1"), Ok(0.5));
    assert_eq!(eval("2^-2^2"), Ok(0.0625));
    assert_eq!(eval("2^-3*4"), Ok(0.5));
}

#[test]
fn arithmetic_is_left_associative() {
    assert_eq!(eval("10 - 4 - 3"), Ok(3.0));
    assert_eq!(eval("64 / 4 / 2"), Ok(8.0));
    assert_eq!(eval("2 + 3 * 4"), Ok(14.0));
    assert_eq!(eval("(2 + 3) * 4"), Ok(20.0));
    assert_eq!(eval("0.1 + 0.2 + 0.3"), Ok(0.1 + 0.2 + 0.3));
    assert_eq!(eval("0.1 + (0.2 + 0.3)"), Ok(0.1 + (0.2 + 0.3)));
}

#[test]
fn comparisons_are_loosest_and_give_one_or_zero() {
    assert_eq!(eval("1 + 1 == 2"), Ok(1.0));
    assert_eq!(eval("1 < 2 * 0"), Ok(0.0));
    assert_eq!(eval("3 >= 3"), Ok(1.0));
    assert_eq!(eval("3 != 3"), Ok(0.0));
    assert_eq!(eval("(1 < 2) + (2 < 1)"), Ok(1.0));
    assert_eq!(eval("1 < 2 < 3"), Err(Code::Syntax));
}

#[test]
fn remainder_keeps_the_dividends_sign() {
    assert_eq!(eval("-7 % 3"), Ok(-1.0));
    assert_eq!(eval("7 % -3"), Ok(1.0));
    assert_eq!(eval("7.5 % 2"), Ok(1.5));
}

#[test]
fn functions() {
    assert_eq!(eval("min(3, 2)"), Ok(2.0));
    assert_eq!(eval("max(3, 2)"), Ok(3.0));
    assert_eq!(eval("abs(-2.5)"), Ok(2.5));
    assert_eq!(eval("sqrt(16)"), Ok(4.0));
    assert_eq!(eval("exp(0)"), Ok(1.0));
    assert_eq!(eval("ln(1)"), Ok(0.0));
    assert_eq!(eval("tanh(0)"), Ok(0.0));
    assert_eq!(eval("sigmoid(0)"), Ok(0.5));
    assert_eq!(eval("sigmoid(2)"), Ok(1.0 / (1.0 + (-2.0f64).exp())));
    assert_eq!(eval("min(1)"), Err(Code::Syntax));
    assert_eq!(eval("sqr(2)"), Err(Code::UnknownName));
}

#[test]
fn numbers() {
    assert_eq!(eval("6.02e23"), Ok(6.02e23));
    assert_eq!(eval("1e-3"), Ok(0.001));
    assert_eq!(eval("1E3"), Ok(1000.0));
    assert_eq!(eval(".5"), Err(Code::Syntax));
    assert_eq!(eval("5."), Err(Code::Syntax));
    assert_eq!(eval("1e999"), Err(Code::Syntax));
}

#[test]
fn every_result_must_be_finite() {
    assert_eq!(eval("1 / 0"), Err(Code::DivZero));
    assert_eq!(eval("1 % 0"), Err(Code::DivZero));
    assert_eq!(eval("0 / 0"), Err(Code::DivZero));
    assert_eq!(eval("sqrt(-1)"), Err(Code::NotFinite));
    assert_eq!(eval("ln(0)"), Err(Code::NotFinite));
    assert_eq!(eval("exp(1000)"), Err(Code::NotFinite));
    assert_eq!(eval("0 ^ -1"), Err(Code::NotFinite));
    // An intermediate overflow fails even if a later step would bring it back.
    assert_eq!(eval("1e300 * 1e300 / 1e300"), Err(Code::NotFinite));
}

/// An expression tree for the property test, with a reference evaluator.
#[derive(Clone, Debug)]
enum E {
    Num(f64),
    Neg(Box<E>),
    Bin(char, Box<E>, Box<E>),
}

impl E {
    /// Fully parenthesised text: the structure is explicit.
    fn text(&self) -> String {
        match self {
            E::Num(v) => format!("{v:?}"),
            E::Neg(a) => format!("(-{})", a.text()),
            E::Bin(op, a, b) => format!("({} {op} {})", a.text(), b.text()),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            E::Num(_) => 6,
            E::Neg(_) => 4,
            E::Bin('<', _, _) => 1,
            E::Bin('+' | '-', _, _) => 2,
            E::Bin('^', _, _) => 5,
            E::Bin(_, _, _) => 3,
        }
    }

    /// The fewest parentheses the language's precedence rules allow.
    fn minimal(&self) -> String {
        let wrap = |e: &E, parens: bool| {
            if parens {
                format!("({})", e.minimal())
            } else {
                e.minimal()
            }
        };
        match self {
            E::Num(v) => format!("{v:?}"),
            E::Neg(a) => format!("-{}", wrap(a, a.precedence() < 4)),
            E::Bin(op, a, b) => {
                let p = self.precedence();
                let left = a.precedence() < p || (a.precedence() == p && (*op == '^' || p == 1));
                let right = match **b {
                    // The exponent may carry its own minus: `2^-x`.
                    E::Neg(_) if *op == '^' => false,
                    _ => b.precedence() < p || (b.precedence() == p && *op != '^'),
                };
                format!("{} {op} {}", wrap(a, left), wrap(b, right))
            }
        }
    }

    /// Reference evaluation: postorder, left operand first, every result finite.
    fn value(&self) -> Option<f64> {
        let v = match self {
            E::Num(v) => *v,
            E::Neg(a) => -a.value()?,
            E::Bin(op, a, b) => {
                let (x, y) = (a.value()?, b.value()?);
                match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' if y == 0.0 => return None,
                    '/' => x / y,
                    '%' if y == 0.0 => return None,
                    '%' => x % y,
                    '^' => x.powf(y),
                    '<' => f64::from(u8::from(x < y)),
                    _ => unreachable!(),
                }
            }
        };
        v.is_finite().then_some(v)
    }
}

fn tree() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        (0u32..20).prop_map(|n| E::Num(f64::from(n))),
        (-1000.0f64..1000.0).prop_map(|v| E::Num(v.abs())),
    ];
    leaf.prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| E::Neg(Box::new(a))),
            (
                prop::sample::select(vec!['+', '-', '*', '/', '%', '^', '<']),
                inner.clone(),
                inner
            )
                .prop_map(|(op, a, b)| E::Bin(op, Box::new(a), Box::new(b))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The parser's precedence pass and the evaluator agree with a
    /// straightforward recursive evaluator, bit for bit, and fail exactly
    /// when some operation has no finite value.
    #[test]
    fn evaluation_matches_the_reference(e in tree()) {
        let text = e.text();
        match (eval(&text), e.value()) {
            (Ok(got), Some(want)) => prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", text),
            (Err(code), None) => prop_assert!(matches!(code, Code::DivZero | Code::NotFinite), "{}: {:?}", text, code),
            (got, want) => prop_assert!(false, "{}: got {:?}, want {:?}", text, got, want),
        }
    }

    /// Written with the fewest parentheses, the same tree gives the same
    /// result: precedence and associativity are as LANGUAGE.md says.
    #[test]
    fn precedence_rules_hold(e in tree()) {
        let full = eval(&e.text());
        let minimal = eval(&e.minimal());
        prop_assert_eq!(full.map(f64::to_bits), minimal.map(f64::to_bits), "{} vs {}", e.text(), e.minimal());
    }
}
