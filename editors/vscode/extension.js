// Starts `maestroc lsp` for platform.kdl and maestroc.toml. The server does all the work
// (diagnostics, hover, definition, references, completion, quick fixes, formatting); this
// file only says which documents it serves and which binary runs it.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("maestroc").get("path") || "maestroc";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "maestroc",
    "maestroc",
    { run: server, debug: server },
    {
      documentSelector: [
        { scheme: "file", language: "kdl", pattern: "**/platform.kdl" },
        { scheme: "file", pattern: "**/maestroc.toml" },
      ],
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
