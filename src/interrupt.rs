//! Ctrl-C, one flag for the whole process: every long path — the machine,
//! the cell, `--batch`, `--trace`, `wb compile`, planning, exporting — asks
//! [`interrupted`] (or hands [`flag`] to an engine that takes an
//! `&AtomicBool`) and stops with `wb::interrupted`.
//!
//! Owns: the process-wide flag, the SIGINT handler that sets it, and
//! [`stop`], which a failed write to standard output calls so that a closed
//! pipe ends a run the way Ctrl-C does. Knows nothing of what is running or
//! how a stop is reported: each path turns a stop into its own diagnostic.
//!
//! A path yet to come checks [`interrupted`] once per unit of work (a loop
//! iteration, a statement group, a search node): it costs one relaxed load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static FLAG: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Whether Ctrl-C was pressed (or [`stop`] was called) since the process
/// started. Installs the handler on the first call, so a path that asks is
/// a path that can be stopped.
pub fn interrupted() -> bool {
    install();
    FLAG.load(Ordering::Relaxed)
}

/// The flag itself, for engines that take an `&AtomicBool` (the machine's
/// `Limits::interrupt`, the cell's `Engine::with_stop`, the planner, the
/// gradient). Installs the handler.
pub fn flag() -> &'static AtomicBool {
    install();
    &FLAG
}

/// Sets the flag: every path that checks it stops at its next check. A
/// failed write to standard output calls this.
pub fn stop() {
    FLAG.store(true, Ordering::SeqCst);
}

/// Installs the SIGINT handler once (later calls cost one load).
pub fn install() {
    INSTALL.call_once(set_on_interrupt);
}

/// On Unix a plain signal handler sets the flag (an atomic store is safe in
/// a handler): `ctrlc` would start a thread for it on every run, a system
/// call and a stack mapping `wb run` of a small program can feel.
#[cfg(unix)]
fn set_on_interrupt() {
    extern "C" fn handler(_: libc::c_int) {
        FLAG.store(true, Ordering::SeqCst);
    }
    // SAFETY: the handler only stores to an atomic; the struct is zeroed
    // (an empty mask) before the fields that matter are set.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

#[cfg(not(unix))]
fn set_on_interrupt() {
    // Installing fails only if a handler is already installed: fine.
    let _ = ctrlc::set_handler(|| FLAG.store(true, Ordering::SeqCst));
}
