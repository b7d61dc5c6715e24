-- A real editor's LSP client against `maestroc lsp`: headless Neovim (0.7 and later) opens the
-- spec given on its command line, starts the server with the built-in client, waits for the
-- diagnostics and writes them, one `CODE line:col message` per line, to $MAESTROC_OUT.
local out = os.getenv("MAESTROC_OUT")
local bin = os.getenv("MAESTROC")
local buf = vim.api.nvim_get_current_buf()
local client = vim.lsp.start_client({
  name = "maestroc",
  cmd = { bin, "lsp" },
  root_dir = vim.fn.getcwd(),
})
vim.lsp.buf_attach_client(buf, client)
local ok = vim.wait(20000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)
local f = io.open(out, "w")
if not ok then
  f:write("TIMEOUT\n")
end
for _, d in ipairs(vim.diagnostic.get(buf)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  f:write(string.format("%s %d:%d %s\n", code, d.lnum + 1, d.col + 1, d.message))
end
f:close()
vim.lsp.stop_client(client)
vim.cmd("qa!")
