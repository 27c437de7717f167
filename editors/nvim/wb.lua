-- `wb lsp` in Neovim's built-in client (docs/editors.md). Put this file in
-- ~/.config/nvim/plugin/ (or source it from init.lua); `wb` must be on PATH,
-- or set vim.g.wb_cmd to the binary's path. Works on Neovim 0.7 (Debian 12's)
-- and later.
vim.filetype.add({ extension = { wb = 'wb' } })
-- Neovim 0.7 reads `vim.filetype.add` only with `do_filetype_lua`, and calls
-- a `.wb` starting with `#` `conf`: say it directly.
vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
  pattern = '*.wb',
  command = 'set filetype=wb',
})
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'wb',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    local config = {
      name = 'wb',
      cmd = { vim.g.wb_cmd or 'wb', 'lsp' },
      root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ':p:h'),
    }
    if vim.lsp.start then
      vim.lsp.start(config)
    else
      -- Neovim 0.7: start the client (once) and attach the buffer.
      vim.g.wb_client = vim.g.wb_client or vim.lsp.start_client(config)
      vim.lsp.buf_attach_client(args.buf, vim.g.wb_client)
    end
  end,
})
