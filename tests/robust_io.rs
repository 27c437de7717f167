//! Files, sizes and signals, driven through the binary: `wb` writes only a
//! regular file and keeps what it was (mode, owner, links), reads nothing
//! without a bound (`/dev/zero` as a program or a batch), reads a pipe or a
//! FIFO stream once and still gives a second `each` all of it, and stops
//! every long path on Ctrl-C with `wb::interrupted`, exit 130.

#![cfg(unix)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn wb() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wb"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A program `wb check --fix` changes: the forget of `a` moves before `b`.
const FIXABLE: &str = "board 2\nwrite a = 1\nwrite b = a + 1\nwrite c = b + 1\nforget a\nread c\n";

fn is_root() -> bool {
    // SAFETY: a plain system call.
    unsafe { libc::geteuid() == 0 }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `cmd` fed `input` on standard input, its output captured.
fn fed(cmd: &mut Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("the input is written");
    child.wait_with_output().expect("wb ends")
}

/// `wb repl` fed `script` on standard input.
fn repl(script: &str) -> Output {
    fed(wb().arg("repl"), script.as_bytes())
}

fn fix(path: &Path) -> Output {
    wb().args(["check", "--fix"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("wb runs")
}

#[test]
fn fix_changes_a_regular_file_and_keeps_its_mode_and_owner() {
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("p.wb");
    fs::write(&file, FIXABLE).expect("written");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    if is_root() {
        // SAFETY: chown on a path we own, to a uid/gid that need not exist.
        let c = std::ffi::CString::new(file.as_os_str().as_encoded_bytes()).expect("a path");
        assert_eq!(unsafe { libc::chown(c.as_ptr(), 4321, 4322) }, 0);
    }
    let before = fs::metadata(&file).expect("meta");
    let out = fix(&file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = fs::read_to_string(&file).expect("read");
    assert_ne!(text, FIXABLE, "--fix changed the program");
    let after = fs::metadata(&file).expect("meta");
    assert_eq!(after.mode() & 0o7777, 0o644, "0644 stays 0644");
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_ne!(after.ino(), before.ino(), "replaced by a rename");
    // Nothing left behind.
    let names: Vec<_> = fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn fix_writes_through_a_symlink() {
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("p.wb");
    fs::write(&file, FIXABLE).expect("written");
    let link = dir.path().join("link.wb");
    std::os::unix::fs::symlink(&file, &link).expect("a link");
    let out = fix(&link);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(fs::symlink_metadata(&link)
        .expect("meta")
        .file_type()
        .is_symlink());
    assert_ne!(fs::read_to_string(&file).expect("read"), FIXABLE);
}

#[test]
fn fix_refuses_hard_links_and_read_only_files_even_as_root() {
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("p.wb");
    fs::write(&file, FIXABLE).expect("written");
    let other = dir.path().join("other.wb");
    fs::hard_link(&file, &other).expect("a hard link");
    let out = fix(&file);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("other hard links"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read_to_string(&other).expect("read"), FIXABLE);
    fs::remove_file(&other).expect("removed");

    fs::set_permissions(&file, fs::Permissions::from_mode(0o444)).expect("chmod");
    let out = fix(&file);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(&file).expect("read"), FIXABLE);
    assert_eq!(fs::metadata(&file).expect("meta").mode() & 0o777, 0o444);
}

#[test]
fn fix_refuses_a_fifo_and_a_pipe_without_reading_them() {
    let dir = tempfile::tempdir().expect("a directory");
    let fifo = dir.path().join("p.wb");
    mkfifo(&fifo);
    // No writer: if `wb` opened the FIFO to read it, it would block here.
    let started = Instant::now();
    let out = fix(&fifo);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("a pipe, not a regular file"),
        "{}",
        stderr(&out)
    );
    assert!(fs::metadata(&fifo).expect("meta").file_type().is_fifo());

    // `/dev/stdin` on a pipe: the link stays, the program is not eaten.
    let mut child = wb()
        .args(["check", "--fix", "/dev/stdin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    let _ = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(FIXABLE.as_bytes());
    let out = child.wait_with_output().expect("wb ends");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("a symbolic link to a pipe, not to a regular file"),
        "{err}"
    );
    assert!(fs::symlink_metadata("/dev/stdin").is_ok());
}

/// A character device to save over: a fresh `null` device in `dir` where
/// root may make one; otherwise `/dev/null` itself (an unprivileged user
/// cannot replace it, and `wb` must refuse before it tries).
fn device(dir: &Path) -> PathBuf {
    if is_root() {
        let node = dir.join("null");
        let status = Command::new("mknod")
            .arg(&node)
            .args(["c", "1", "3"])
            .status()
            .expect("mknod runs");
        if status.success() {
            return node;
        }
        // A container without the right to make devices: the test still
        // runs, on the system's device.
    }
    PathBuf::from("/dev/null")
}

#[test]
fn save_refuses_a_device_and_a_fifo_and_the_session_fails() {
    let dir = tempfile::tempdir().expect("a directory");
    let dev = device(dir.path());
    let fifo = dir.path().join("fifo.wb");
    mkfifo(&fifo);
    for target in [&dev, &fifo] {
        let out = repl(&format!(
            "board 1\nwrite a = 1\nread a\n:save {}\n",
            target.display()
        ));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("not a regular file"),
            "{}",
            stderr(&out)
        );
        let t = fs::metadata(target).expect("meta").file_type();
        assert!(
            t.is_char_device() || t.is_fifo(),
            "{} was replaced",
            target.display()
        );
    }
}

#[test]
fn save_keeps_a_0644_file_0644() {
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("s.wb");
    fs::write(&file, "board 1\n").expect("written");
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = repl(&format!("board 1\nwrite a = 1\n:save {}\n", file.display()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(fs::read_to_string(&file)
        .expect("read")
        .contains("write a = 1"));
    assert_eq!(fs::metadata(&file).expect("meta").mode() & 0o777, 0o644);
}

/// Runs `wb` with `args` under a 1.5 GB address-space cap (`ulimit -v`).
fn capped(args: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v 1500000 && exec \"$WB\" {args}"))
        .env("WB", env!("CARGO_BIN_EXE_wb"))
        .output()
        .expect("sh runs")
}

#[test]
fn an_endless_program_stops_at_the_source_limit_while_it_is_read() {
    let out = capped("run /dev/zero");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than 256 MiB, the largest program `wb` reads"),
        "{}",
        stderr(&out)
    );
    let out = capped("check - < /dev/zero");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("larger than 256 MiB"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_batch_line_without_end_is_bounded() {
    let dir = tempfile::tempdir().expect("a directory");
    let prog = dir.path().join("p.wb");
    fs::write(&prog, "board 1\ninput a = 1\nread a\n").expect("written");
    let out = capped(&format!("run {} --batch /dev/zero", prog.display()));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("a line longer than 64 MiB"),
        "{}",
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains("memory allocation"),
        "{}",
        stderr(&out)
    );
}

const TWO_LOOPS: &str =
    "board 2\nstream x\nwrite s = 0\neach x { write s = s + x }\neach x { write s = s + x }\nread s\n";

fn two_loops(dir: &Path) -> PathBuf {
    let prog = dir.join("two.wb");
    fs::write(&prog, TWO_LOOPS).expect("written");
    prog
}

#[test]
fn a_stream_from_a_pipe_is_seen_whole_by_two_loops() {
    let dir = tempfile::tempdir().expect("a directory");
    let prog = two_loops(dir.path());
    for engine in ["interp", "cell"] {
        // `--stream x=@/dev/stdin`, on a pipe.
        let out = fed(
            wb().arg("run")
                .arg(&prog)
                .args(["--engine", engine, "--stream", "x=@/dev/stdin"]),
            b"1\n2\n3\n",
        );
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stderr(&out));
        assert_eq!(stdout(&out), "s = 12\n", "{engine}");
        // `<(…)`: a pipe under /dev/fd.
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "exec \"$WB\" run {} --engine {engine} --stream x=@<(printf '1\\n2\\n')",
                prog.display()
            ))
            .env("WB", env!("CARGO_BIN_EXE_wb"))
            .output()
            .expect("bash runs");
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stderr(&out));
        assert_eq!(stdout(&out), "s = 6\n", "{engine}");
    }
}

#[test]
fn a_pipe_too_long_to_keep_fails_the_second_loop_with_a_reason() {
    let dir = tempfile::tempdir().expect("a directory");
    let prog = two_loops(dir.path());
    let mut child = wb()
        .arg("run")
        .arg(&prog)
        .args(["--stream", "x=@/dev/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || {
        // 66 MiB of `0\n`: past the 64 MiB kept for a second pass.
        let chunk = "0\n".repeat(1 << 20);
        for _ in 0..33 {
            if stdin.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().expect("wb ends");
    feeder.join().expect("the feeder ends");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "no total from a stream seen in part");
    let err = stderr(&out);
    assert!(err.contains("can be read only once"), "{err}");
    assert!(err.contains("save it to a file"), "{err}");
}

#[test]
fn a_fifo_stream_is_opened_once() {
    let dir = tempfile::tempdir().expect("a directory");
    let prog = two_loops(dir.path());
    let fifo = dir.path().join("x.fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Blocks until `wb` opens the FIFO; closes it after the text.
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("the FIFO opens");
            f.write_all(b"1, 2\n").expect("written");
        })
    };
    let mut child = wb()
        .arg("run")
        .arg(&prog)
        .arg("--stream")
        .arg(format!("x=@{}", fifo.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("wb hangs on a FIFO stream");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("wb ends");
    writer.join().expect("the writer ends");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "s = 6\n");
}

/// Starts `wb args`, sends SIGINT once it runs, and returns its output
/// (it must end within 20 s of the signal).
fn interrupt(args: &[&str], dir: &Path) -> Output {
    let mut child = wb()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("wb starts");
    // Drain standard output so that a long run never blocks on a full pipe.
    let mut out = child.stdout.take().expect("stdout");
    let drain = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::copy(&mut out, &mut sink);
    });
    std::thread::sleep(Duration::from_millis(700));
    // SAFETY: a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let signalled = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if signalled.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("`wb {}` ignored SIGINT", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("wb ends");
    drain.join().expect("drained");
    out
}

#[test]
fn ctrl_c_stops_batch_trace_and_compile() {
    let dir = tempfile::tempdir().expect("a directory");
    let d = dir.path();
    fs::write(
        d.join("long.wb"),
        "board 1\nwrite n = 0\nrepeat 10000000000 {\n  write n = n + 1\n}\nread n\n",
    )
    .expect("written");
    fs::write(
        d.join("rows.wb"),
        "board 2\ninput a = 1\nwrite n = 0\nrepeat 100000000 { write n = n + a }\nread n\n",
    )
    .expect("written");
    let mut csv = String::from("a\n");
    for i in 0..10_000 {
        csv.push_str(&format!("{i}\n"));
    }
    fs::write(d.join("rows.csv"), csv).expect("written");
    let mut big = String::from("board 2\nwrite a = 1\n");
    for _ in 0..400_000 {
        big.push_str("write a = a + 1\n");
    }
    big.push_str("read a\n");
    fs::write(d.join("big.wb"), big).expect("written");
    for args in [
        &["run", "rows.wb", "--batch", "rows.csv"][..],
        &["run", "long.wb", "--trace"],
        &["run", "long.wb", "--engine", "cell"],
        &["compile", "big.wb"],
        &["compile", "big.wb", "--json"],
    ] {
        let out = interrupt(args, d);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(130), "{args:?}: {err}");
        assert!(err.contains("error[wb::interrupted]"), "{args:?}: {err}");
    }
}
