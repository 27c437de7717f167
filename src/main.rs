//! The `wb` command: a thin shell over the `wb` library.
//!
//! `main` is the C entry point rather than Rust's (`#![no_main]`): Rust's
//! start-up installs a guard for the main thread's stack, which on Linux
//! reads and parses `/proc/self/maps` — a seventh of the work of
//! `wb run examples/whiteboard.wb`. `wb` recurses only within bounds
//! (`syntax::MAX_PAREN_DEPTH`, `MAX_BLOCK_DEPTH`), so the guard's message on
//! an overflow is all it would add. What Rust's start-up does that `wb`
//! needs is done here: a write to a closed pipe is an error (`EPIPE`, see
//! `cli/output.rs`), not a signal that kills the process; and a standard
//! stream that is closed is opened on `/dev/null`, so that no file `wb`
//! opens (the temporary file of `check --fix`) takes its number; and a panic
//! still exits with code 101. Arguments and the exit flush of standard
//! output work as before (`std::env::args`, `std::process::exit`).

// The unit-test build of this crate keeps the test harness's own `main`.
#![cfg_attr(not(test), no_main)]

mod cli;

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    #[cfg(unix)]
    unix_start();
    // A panic (a bug) exits with 101 after its message, as under Rust's own
    // start-up, instead of unwinding into C.
    let code = std::panic::catch_unwind(cli::main).unwrap_or(101);
    std::process::exit(code);
}

// The unit-test build's `main` (the harness replaces it).
#[cfg(test)]
fn main() {
    std::process::exit(cli::main());
}

#[cfg(all(unix, not(test)))]
fn unix_start() {
    // SAFETY: plain system calls on stack memory, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        });
        if libc::poll(fds.as_mut_ptr(), 3, 0) >= 0 {
            for p in fds {
                if p.revents & libc::POLLNVAL != 0 {
                    // Takes the lowest free number: this one.
                    libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                }
            }
        }
    }
}
