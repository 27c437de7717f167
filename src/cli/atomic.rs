//! Replacing a file atomically: the one way `wb` writes a user's file
//! (`:save` in the REPL, `wb check --fix`).
//!
//! The text goes to a temporary file in the same directory, is flushed to
//! disk, takes the old file's permissions, and is renamed over the file; the
//! directory is then flushed too. A crash leaves the old file or the new
//! one, never half of one. Through a symbolic link the file it points to is
//! replaced (the link stays a link). Files that a rename would quietly
//! change the meaning of are refused: anything that is not a regular file,
//! a file with other hard links (they would keep the old text), and a
//! read-only file. The owner is not carried over (a rename cannot; the new
//! file is the writer's).
//!
//! This file is compiled into the library (`wb::atomic`, see `src/lib.rs`)
//! so that the REPL's session can use it as the command line does; it knows
//! nothing of programs.

use std::fs;
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Replaces the file at `path` (or creates it) with `contents`, atomically.
/// The error says, in words, why the file was refused or not written.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    let (target, existing) = refusal(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".wb-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // A new file as any new file: 0666 less the umask.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(&dir)?;
    tmp.write_all(contents)?;
    tmp.flush()?;
    if let Some(meta) = &existing {
        keep_owner(tmp.as_file(), meta);
        // After the owner: a change of owner may clear set-id bits.
        fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&target).map_err(|e| e.error)?;
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(&dir) {
        // The rename is durable once the directory is.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether `path` may be replaced by [`write`]: `Ok` for a regular file
/// (or a link to one) that [`write`] would not refuse, and for a path with
/// nothing there yet; otherwise the reason, in words. Reads nothing from the
/// file, so a pipe or a device named by mistake is not consumed.
pub fn writable(path: &Path) -> io::Result<()> {
    refusal(path).map(|_| ())
}

/// The file to replace, and its metadata if it exists; or why it is refused.
fn refusal(path: &Path) -> io::Result<(PathBuf, Option<fs::Metadata>)> {
    let target = target(path)?;
    let existing = match fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(meta) = &existing {
        if !meta.is_file() {
            let what = kind(meta);
            return Err(io::Error::other(format!(
                "it is {what}, not a regular file: replacing it would destroy it"
            )));
        }
        // The mode bits, not access(2): root may write a 0444 file, but its
        // owner said it is not to be changed.
        if meta.permissions().readonly() {
            return Err(io::Error::new(
                ErrorKind::PermissionDenied,
                "it is read-only (no write permission in its mode)",
            ));
        }
        if links(meta) > 1 {
            return Err(io::Error::other(
                "it has other hard links, which would keep the old text (a new file is renamed over it)",
            ));
        }
    }
    Ok((target, existing))
}

/// What a file that is not a regular file is, for a message.
fn kind(meta: &fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Gives `file` the owner and group of the file it replaces, where the
/// writer may (root may give any; others only a group they are in): a
/// refusal leaves the writer's.
#[cfg(unix)]
fn keep_owner(file: &fs::File, meta: &fs::Metadata) {
    use std::os::unix::fs::MetadataExt;
    if std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid())).is_err() {
        let _ = std::os::unix::fs::fchown(file, None, Some(meta.gid()));
    }
}

#[cfg(not(unix))]
fn keep_owner(_: &fs::File, _: &fs::Metadata) {}

/// The file `path` names: through symbolic links to the file they point
/// to; a link to nothing is refused.
fn target(path: &Path) -> io::Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).map_err(|_| {
            match fs::metadata(path) {
                // `/dev/stdin` on a pipe: a link to `pipe:[…]`, no path.
                Ok(to) if !to.is_file() => io::Error::other(format!(
                    "it is a symbolic link to {}, not to a regular file: replacing it would destroy it",
                    kind(&to)
                )),
                _ => io::Error::new(
                    ErrorKind::NotFound,
                    "it is a symbolic link to a file that does not exist",
                ),
            }
        }),
        _ => Ok(path.to_path_buf()),
    }
}

#[cfg(unix)]
fn links(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.nlink()
}

#[cfg(not(unix))]
fn links(_: &fs::Metadata) -> u64 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_keeps_the_mode_and_writes_through_links() {
        let dir = tempfile::tempdir().expect("a directory");
        let file = dir.path().join("a.wb");
        write(&file, b"board 1\n").expect("created");
        assert_eq!(fs::read(&file).expect("read"), b"board 1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).expect("chmod");
            let link = dir.path().join("link.wb");
            std::os::unix::fs::symlink(&file, &link).expect("a link");
            write(&link, b"board 2\n").expect("written through the link");
            assert!(fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink());
            assert_eq!(fs::read(&file).expect("read"), b"board 2\n");
            let mode = fs::metadata(&file).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
            let dangling = dir.path().join("dangling.wb");
            std::os::unix::fs::symlink(dir.path().join("nothing"), &dangling).expect("a link");
            assert!(write(&dangling, b"x").is_err());
        }
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(names
            .iter()
            .all(|n| !n.to_string_lossy().starts_with(".wb-")));
    }

    #[test]
    fn refuses_what_a_rename_would_break() {
        let dir = tempfile::tempdir().expect("a directory");
        assert!(write(dir.path(), b"x").is_err(), "a directory");
        let file = dir.path().join("a.wb");
        fs::write(&file, "old").expect("written");
        #[cfg(unix)]
        {
            let other = dir.path().join("b.wb");
            fs::hard_link(&file, &other).expect("a hard link");
            let e = write(&file, b"new").expect_err("hard-linked");
            assert!(e.to_string().contains("hard links"));
            assert_eq!(fs::read(&other).expect("read"), b"old");
            fs::remove_file(&other).expect("removed");
        }
        let mut perms = fs::metadata(&file).expect("meta").permissions();
        perms.set_readonly(true);
        fs::set_permissions(&file, perms).expect("read-only");
        let e = write(&file, b"new").expect_err("read-only");
        assert!(e.to_string().contains("read-only"));
        assert_eq!(fs::read(&file).expect("read"), b"old");
    }
}
