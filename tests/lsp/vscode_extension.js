// The VS Code extension's wiring, run under Node with `vscode` and `vscode-languageclient`
// replaced by recorders (neither exists outside the editor): activation starts
// `<maestroc.path> lsp` over stdio for platform.kdl and maestroc.toml, and stops it again.
const Module = require("module");
const path = require("path");
const assert = require("assert");

const seen = { started: 0, stopped: 0 };
const fakes = {
  vscode: {
    workspace: {
      getConfiguration: (section) => ({
        get: (key) => (section === "maestroc" && key === "path" ? "/opt/bin/maestroc" : undefined),
      }),
    },
  },
  "vscode-languageclient/node": {
    TransportKind: { stdio: 0 },
    LanguageClient: class {
      constructor(id, name, server, client) {
        Object.assign(seen, { id, name, server, client });
      }
      start() {
        seen.started++;
        return Promise.resolve();
      }
      stop() {
        seen.stopped++;
        return Promise.resolve();
      }
      dispose() {}
    },
  },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request in fakes ? fakes[request] : load.call(this, request, ...rest);
};

const ext = require(path.join(__dirname, "../../editors/vscode/extension.js"));
const subscriptions = [];
ext.activate({ subscriptions }).then(() => {
  assert.strictEqual(seen.started, 1);
  assert.deepStrictEqual(seen.server.run, { command: "/opt/bin/maestroc", args: ["lsp"], transport: 0 });
  const patterns = seen.client.documentSelector.map((s) => s.pattern);
  assert.deepStrictEqual(patterns, ["**/platform.kdl", "**/maestroc.toml"]);
  assert.strictEqual(subscriptions.length, 1);
  return ext.deactivate();
}).then(() => {
  assert.strictEqual(seen.stopped, 1);
  const pkg = require("../../editors/vscode/package.json");
  assert.strictEqual(pkg.main, "./extension.js");
  assert.ok(pkg.contributes.languages[0].filenames.includes("platform.kdl"));
  console.log("vscode extension: ok");
});
