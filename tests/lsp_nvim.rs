//! Neovim's built-in client drives `wb lsp` headless, with the set-up
//! docs/editors.md gives (`editors/nvim/wb.lua`): it opens an example, waits
//! for the diagnostics and writes them to a file. Neovim is found through
//! `WB_NVIM`, else `nvim` on PATH (`scripts/setup-neovim.sh` installs it);
//! without it the test is skipped with a message, except under `CI=true`,
//! where it fails.

use std::path::PathBuf;
use std::process::Command;

fn nvim() -> Option<PathBuf> {
    let candidate = std::env::var_os("WB_NVIM").unwrap_or_else(|| "nvim".into());
    let ok = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from(candidate))
}

const HARNESS: &str = r#"
vim.g.wb_cmd = vim.env.WB_BIN
dofile(vim.env.WB_CONFIG)
vim.api.nvim_create_autocmd('DiagnosticChanged', { callback = function(args)
  local ds = vim.diagnostic.get(args.buf)
  if #ds == 0 then return end
  local lines = {}
  for _, d in ipairs(ds) do
    table.insert(lines, string.format('%d:%d %s %s', d.lnum + 1, d.col + 1, d.code or '', (d.message:match('[^\n]*'))))
  end
  vim.fn.writefile(lines, vim.env.WB_OUT)
  vim.cmd('qall!')
end })
vim.defer_fn(function() vim.cmd('cquit 3') end, 15000)
"#;

#[test]
fn neovim_shows_the_diagnostics_of_an_example() {
    let Some(nvim) = nvim() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Neovim is missing (set WB_NVIM or run scripts/setup-neovim.sh)"
        );
        eprintln!("skipped: no Neovim (set WB_NVIM or run scripts/setup-neovim.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let harness = dir.path().join("harness.lua");
    std::fs::write(&harness, HARNESS).expect("write");
    let out = dir.path().join("diagnostics.txt");
    let root = env!("CARGO_MANIFEST_DIR");
    let status = Command::new(nvim)
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&harness)
        .arg(format!("{root}/examples/errors/overflow.wb"))
        .env("WB_BIN", env!("CARGO_BIN_EXE_wb"))
        .env("WB_CONFIG", format!("{root}/editors/nvim/wb.lua"))
        .env("WB_OUT", &out)
        .env("XDG_STATE_HOME", dir.path())
        .env("XDG_CACHE_HOME", dir.path())
        .current_dir(dir.path())
        .status()
        .expect("nvim runs");
    assert!(
        status.success(),
        "nvim ended with {status}: no diagnostics within 15 s"
    );
    let got = std::fs::read_to_string(&out).expect("diagnostics written");
    assert_eq!(
        got,
        "9:7 wb::board_full the board is full: `p` needs a slot, and all 3 are taken (needs a 4th slot)\n"
    );
}
