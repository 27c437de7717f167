//! `wb plan`: a program or a formula planned onto the fewest slots (or the
//! fewest writes on `--capacity N`), printed as a `.wb` program. The
//! planning is `wb::plan`'s; this file reads flags and writes output.

use std::mem::ManuallyDrop;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use clap::Args;
use serde_json::json;

use wb::check::{self, MAX_CAPACITY};
use wb::diag::{Code, Diagnostic};
use wb::plan::{self, dataflow, emit, Dataflow, NoPlan, Options, Plan, Stopped};
use wb::syntax::{self, Item, Names, StmtKind};

use super::{
    load, output, parse, report, report_as, usage_error, Source, EXIT_PROGRAM, EXIT_USAGE,
};

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// The program whose dataflow is planned (`-` for standard input).
    #[arg(required_unless_present = "expr", conflicts_with = "expr")]
    file: Option<PathBuf>,
    /// Plan a formula instead: its free names are inputs, read as `result`.
    #[arg(long, value_name = "FORMULA")]
    expr: Option<String>,
    /// Plan onto this many slots, with the fewest writes.
    #[arg(long, value_name = "N")]
    capacity: Option<usize>,
    /// Give an input its default in the plan's `input` line: `--set a=1`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Write each value once: no recomputation.
    #[arg(long)]
    no_recompute: bool,
    /// One JSON object: capacity, writes, optimal, lower_bound, program.
    #[arg(long)]
    json: bool,
    /// Say on each forget and recomputation why it is there.
    #[arg(long)]
    explain: bool,
    /// Show the board as the plan fills it (on standard error).
    #[arg(long)]
    trace: bool,
}

pub fn plan(args: PlanArgs) -> i32 {
    let mut defaults = Vec::new();
    for s in &args.sets {
        let parsed = s.split_once('=').and_then(|(n, v)| {
            wb::interp::parse_number(v.trim())
                .ok()
                .map(|v| (n.trim().to_owned(), v))
        });
        match parsed {
            Some(d) => defaults.push(d),
            None => {
                usage_error(&format!(
                    "--set {s}: expected NAME=NUMBER, as in `--set a=1`"
                ));
                return EXIT_USAGE;
            }
        }
    }
    if args.capacity == Some(0) || args.capacity.is_some_and(|c| c > MAX_CAPACITY) {
        usage_error(&format!("--capacity must be between 1 and {MAX_CAPACITY}"));
        return EXIT_USAGE;
    }
    let (source, flow, own_board) = match dataflow_of(&args, &defaults) {
        Ok(Subject::Flow(source, flow, own_board)) => (source, flow, own_board),
        Ok(Subject::Units(source, program, own_board)) => {
            return plan_units(&args, &source, &program, own_board, &defaults)
        }
        Err(code) => return code,
    };
    for (name, _) in &defaults {
        if !flow
            .inputs
            .iter()
            .any(|(id, _)| flow.names.text(*id) == name)
        {
            usage_error(&format!("--set {name}: the plan has no input `{name}`"));
            return EXIT_USAGE;
        }
    }
    let interrupt = output::interrupt_flag();
    let opts = Options {
        capacity: args.capacity,
        recompute: !args.no_recompute,
        interrupt: Some(interrupt),
        ..Options::default()
    };
    match plan::plan(&flow, &opts) {
        Ok(p) => print_plan(&args, &source, &flow, &p, own_board),
        Err(no) => {
            report(&[refusal(&no, opts.recompute)], &source);
            if interrupt.load(Ordering::Relaxed) {
                output::EXIT_INTERRUPTED
            } else {
                EXIT_PROGRAM
            }
        }
    }
}

/// What `wb plan` plans: a dataflow, or a program with loops, streams or
/// gated writes (planned part by part); with the program's own `board N`.
#[allow(clippy::large_enum_variant)]
enum Subject {
    Flow(Source, Dataflow, Option<f64>),
    Units(Source, Box<syntax::Program>, Option<f64>),
}

/// The source and dataflow to plan, and the program's own `board N`.
fn dataflow_of(args: &PlanArgs, defaults: &[(String, f64)]) -> Result<Subject, i32> {
    if let Some(expr) = &args.expr {
        let source = Source {
            name: "<expr>".to_owned(),
            text: format!("read {expr}"),
        };
        let mut names = Names::default();
        let (items, mut diags) = syntax::parse_items(&source.text, 0, &mut names);
        if !diags.is_empty() {
            // Shown in the user's own text: without the `read ` the
            // formula was parsed in.
            let prefix = "read ".len();
            for d in &mut diags {
                for l in &mut d.labels {
                    let (a, b) = (l.span.start as usize, l.span.end as usize);
                    l.span = syntax::Span::new(
                        a.saturating_sub(prefix).min(expr.len()),
                        b.saturating_sub(prefix).min(expr.len()),
                    );
                }
                for f in &mut d.fixes {
                    f.edits.clear();
                }
            }
            let shown = Source {
                name: "<expr>".to_owned(),
                text: expr.clone(),
            };
            report_as(args.json, &diags, &shown);
            return Err(EXIT_PROGRAM);
        }
        let exprs = match items.as_slice() {
            [Item::Stmt(s)] => match &s.kind {
                StmtKind::Read(e) => e,
                _ => return Err(expr_usage()),
            },
            _ => return Err(expr_usage()),
        };
        let [e] = exprs.as_slice() else {
            return Err(expr_usage());
        };
        let flow = dataflow::from_expr(&e.ops, &names, defaults);
        return Ok(Subject::Flow(source, flow, None));
    }
    let path = args.file.clone().unwrap_or_default();
    let source = match load(&path) {
        Ok(s) => s,
        Err(e) => return Err(e.handle(|s, d| report_as(args.json, d, s))),
    };
    let mut parsed = ManuallyDrop::new(parse(&source));
    if !parsed.diagnostics.is_empty() {
        report_as(args.json, &parsed.diagnostics, &source);
        return Err(EXIT_PROGRAM);
    }
    // The program's own board is not a limit for the plan: check it on the
    // largest board, for its names and rules.
    let analysis = ManuallyDrop::new(check::check(&parsed.program, Some(MAX_CAPACITY)));
    if analysis.has_errors() {
        let errors: Vec<Diagnostic> = analysis
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        report_as(args.json, &errors, &source);
        return Err(EXIT_PROGRAM);
    }
    let own_board = parsed.program.items.iter().find_map(|i| match i {
        Item::Board(b) => Some(b.value),
        _ => None,
    });
    if plan::program::has_units(&parsed.program) {
        for (name, _) in defaults {
            let declared = parsed.program.items.iter().any(|i| match i {
                Item::Input(ds, _) => ds
                    .iter()
                    .any(|d| parsed.program.names.text(d.name.id) == name),
                _ => false,
            });
            if !declared {
                usage_error(&format!("--set {name}: the program has no input `{name}`"));
                return Err(EXIT_USAGE);
            }
        }
        let program = ManuallyDrop::into_inner(parsed).program;
        return Ok(Subject::Units(source, Box::new(program), own_board));
    }
    let mut flow = match dataflow::from_program_taking_names(&mut parsed.program) {
        Ok(f) => f,
        Err(diags) => {
            report_as(args.json, &diags, &source);
            return Err(EXIT_PROGRAM);
        }
    };
    for (id, default) in &mut flow.inputs {
        let text = flow.names.text(*id);
        if let Some((_, v)) = defaults.iter().find(|(n, _)| n == text) {
            *default = Some(*v);
        }
    }
    Ok(Subject::Flow(source, flow, own_board))
}

/// A program with loops, streams or gated writes: its straight-line parts
/// planned, its loops and gated writes kept as units (`wb::plan::program`).
fn plan_units(
    args: &PlanArgs,
    source: &Source,
    program: &syntax::Program,
    own_board: Option<f64>,
    defaults: &[(String, f64)],
) -> i32 {
    if args.trace {
        usage_error(
            "--trace draws plans of straight-line programs; for a program with loops or gated writes, run the plan with `wb run --trace`",
        );
        return EXIT_USAGE;
    }
    let interrupt = output::interrupt_flag();
    let opts = Options {
        recompute: false,
        interrupt: Some(interrupt),
        states: 2_000_000,
        ..Options::default()
    };
    let p = match plan::program::plan(program, &opts, args.explain, defaults) {
        Ok(p) => p,
        Err(diags) => {
            report(&diags, source);
            return EXIT_PROGRAM;
        }
    };
    if let Some(c) = args.capacity {
        if p.slots > c {
            let s = |n: usize| if n == 1 { "" } else { "s" };
            let d = Diagnostic::global(Code::NoPlan, format!("no plan found on {c} slot{}", s(c)))
                .with_note(format!(
                    "proven: every plan that keeps the loops and gated writes as units needs at least {} slot{}; the plan found needs {} (not proven the fewest: docs/plan.md)",
                    p.lower_bound,
                    s(p.lower_bound),
                    p.slots
                ))
                .with_help(format!("plan on {}: `--capacity {}`", p.slots, p.slots));
            report(&[d], source);
            return EXIT_PROGRAM;
        }
    }
    let board = args.capacity.unwrap_or(p.slots).max(1);
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let mut text = format!(
        "# wb plan of {}: {} slot{}, {} write{}\n# {}\n",
        source.name,
        p.slots,
        s(p.slots),
        p.writes,
        s(p.writes),
        plan::program::claim(&p)
    );
    if let (Some(b), None) = (own_board, args.capacity) {
        text.push_str(&format!(
            "# (the program's own `board {}` is not a limit for the plan)\n",
            wb::number::format(b)
        ));
    }
    for (from, to) in &p.renamed {
        text.push_str(&format!(
            "# `read {from}` reads `{to}`: two slots needed the name `{from}` at once\n"
        ));
    }
    text.push_str(&format!("board {board}\n{}{}", p.declarations, p.body));
    let printed = if args.json {
        let obj = json!({
            "capacity": board,
            "slots": p.slots,
            "writes": p.writes,
            "optimal": false,
            "lower_bound": p.lower_bound,
            "program": text,
        });
        output::print(&format!("{obj}\n"))
    } else {
        output::print(&text)
    };
    if let Err(code) = printed {
        return code;
    }
    if p.stopped == Some(Stopped::Interrupted) {
        output::EXIT_INTERRUPTED
    } else {
        0
    }
}

fn expr_usage() -> i32 {
    usage_error("--expr takes one formula, as in `--expr 'a*d + a*c*(b*d + a)'`");
    EXIT_USAGE
}

/// The diagnostic for a capacity no plan fits.
fn refusal(no: &NoPlan, recompute: bool) -> Diagnostic {
    let c = no.capacity;
    let s = |n: usize| if n == 1 { "" } else { "s" };
    let d = Diagnostic::global(Code::NoPlan, format!("no plan fits on {c} slot{}", s(c)));
    let how = if recompute {
        "even with recomputation"
    } else {
        "with each value written once (`--no-recompute`)"
    };
    match (no.minimum, no.stopped) {
        (Some(m), _) => d
            .with_note(format!(
                "proven: every plan needs at least {m} slot{} {how}",
                s(m)
            ))
            .with_help(format!("plan on {m}: `--capacity {m}`")),
        (None, stopped) => {
            let mut note = format!(
                "proven: every plan needs at least {} slot{}",
                no.lower_bound,
                s(no.lower_bound)
            );
            if let Some(f) = no.found {
                note.push_str(&format!("; the best plan found needs {f}"));
            }
            note.push_str(match stopped {
                Some(Stopped::Interrupted) => " (the search was interrupted)",
                Some(Stopped::Budget) => " (the search reached its limit of states)",
                None if no.lower_bound <= c => {
                    " (the program is too large to search exactly; a plan on fewer may exist)"
                }
                None => "",
            });
            d.with_note(note)
        }
    }
}

fn print_plan(
    args: &PlanArgs,
    source: &Source,
    flow: &Dataflow,
    p: &Plan,
    own_board: Option<f64>,
) -> i32 {
    let page = emit::Page {
        subject: &source.name,
        capacity: args.capacity,
        own_board,
        style: emit::Style {
            explain: args.explain,
            ..emit::Style::default()
        },
        trace: args.trace,
    };
    let (text, trace) = page.render(flow, p);
    if args.trace {
        eprint!("{trace}");
    }
    let board = args.capacity.unwrap_or(p.cost.slots).max(1);
    let printed = if args.json {
        let obj = json!({
            "capacity": board,
            "slots": p.cost.slots,
            "writes": p.cost.writes,
            "optimal": p.optimal,
            "lower_bound": p.lower_bound,
            "program": text,
        });
        output::print(&format!("{obj}\n"))
    } else {
        output::print(&text)
    };
    if let Err(code) = printed {
        return code;
    }
    if p.stopped == Some(Stopped::Interrupted) {
        output::EXIT_INTERRUPTED
    } else {
        0
    }
}
