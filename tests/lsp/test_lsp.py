"""`maestroc lsp` end to end: a real LSP client (pytest-lsp) speaks to the real binary.

Each test opens a spec written to a temporary directory (so `maestroc.toml` beside it and
`check` on the same file work as they do for a user), then asks what an editor asks.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from conftest import MAESTROC

SPEC = """\
platform "shop" {
    namespace "shop"
    node-ports 30000 30010
    node-cidr "192.168.49.0/24"
}

defaults {
    resources cpu="100m" memory="128Mi"
}

secret "db" {
    key PASSWORD
}

service "db" {
    image "postgres:16.4"
    port pg 5432
    env POSTGRES_PASSWORD secret="db" key="PASSWORD"
    health tcp=pg
    allow "writable-root"
}

service "cart" {
    description "the shopping cart"
    image "cart:1.0"
    port http 8080 node-port=30001
    depends-on db
    env DB_HOST "db.shop.svc.cluster.local:5432"
    env DATABASE_PORT ref="DB_PORT"
    health http="/healthz" port=http
}

service "web" {
    image "web:1.0"
    port http 8000 node-port=30001
    env CART_URL "http://{CART_ADDRESS}/api"
    health http="/" port=http
}
"""


def write(tmp_path: Path, text: str = SPEC, name: str = "platform.kdl") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def pos(text: str, needle: str, delta: int = 0, nth: int = 0) -> types.Position:
    """The UTF-8 position of the nth `needle` in `text`, moved `delta` bytes into it."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    return offset_pos(text, at + delta)


def offset_pos(text: str, offset: int) -> types.Position:
    b = text.encode()[:offset]
    line = b.count(b"\n")
    return types.Position(line=line, character=len(b) - (b.rfind(b"\n") + 1))


async def published(client: LanguageClient, uri: str):
    """Waits for the diagnostics of `uri`: the server may publish other documents' first."""
    while uri not in client.diagnostics:
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def open_doc(client: LanguageClient, path: Path, text: str | None = None):
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="kdl", version=1, text=text or path.read_text()
            )
        )
    )
    await published(client, uri)
    return uri


async def change(client: LanguageClient, uri: str, text: str, version: int):
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await published(client, uri)


def check_json(path: Path) -> list[dict]:
    out = subprocess.run(
        [MAESTROC, "check", "--spec", str(path), "--format", "json"],
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)["findings"]


def apply(text: str, edit: types.TextEdit) -> str:
    """Applies one UTF-8 text edit."""
    data = text.encode()
    lines = data.split(b"\n")

    def off(p: types.Position) -> int:
        return sum(len(l) + 1 for l in lines[: p.line]) + p.character

    return (data[: off(edit.range.start)] + edit.new_text.encode() + data[off(edit.range.end) :]).decode()


@pytest.mark.asyncio
async def test_diagnostics_are_checks_findings(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    got = sorted(
        (d.code, d.range.start.line, d.range.start.character, d.message)
        for d in client.diagnostics[uri]
    )
    want = []
    for f in check_json(path):
        primary = f["labels"][0] if f["labels"] else None
        start = offset_pos(SPEC, primary["offset"]) if primary else types.Position(0, 0)
        want.append((f["code"], start.line, start.character, f["message"]))
    assert got == sorted(want)
    codes = {d.code for d in client.diagnostics[uri]}
    assert {"MC105", "MC007", "MC408", "MC409"} <= codes
    # The help travels as related information, word for word.
    by_code = {d.code: d for d in client.diagnostics[uri]}
    helps = {f["code"]: f["help"] for f in check_json(path)}
    related = [r.message for r in by_code["MC007"].related_information]
    assert f"help: {helps['MC007']}" in related


@pytest.mark.asyncio
async def test_an_edit_updates_the_diagnostics(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    assert any(d.code == "MC105" for d in client.diagnostics[uri])
    fixed = SPEC.replace("port http 8000 node-port=30001", "port http 8000 node-port=30002")
    await change(client, uri, fixed, 2)
    assert not any(d.code == "MC105" for d in client.diagnostics[uri])
    broken = fixed.replace("service \"web\" {", "service \"web\" {{")
    await change(client, uri, broken, 3)
    assert {d.code for d in client.diagnostics[uri]} == {"MC001"}
    path.write_text(broken)
    assert len(client.diagnostics[uri]) == len(check_json(path))


@pytest.mark.asyncio
async def test_levels_from_maestroc_toml_apply_and_its_own_errors_show(
    client: LanguageClient, tmp_path: Path
):
    path = write(tmp_path)
    (tmp_path / "maestroc.toml").write_text('[rules]\nMC408 = "off"\n')
    uri = await open_doc(client, path)
    assert not any(d.code == "MC408" for d in client.diagnostics[uri])
    # The open buffer of maestroc.toml wins over the file on disk, and is checked itself.
    toml = tmp_path / "maestroc.toml"
    turi = await open_doc(client, toml, '[rules]\nMC408 = "loud"\n')
    assert [d.code for d in client.diagnostics[turi]] == ["MC092"]
    assert client.diagnostics[turi][0].range.start == types.Position(1, 8)


@pytest.mark.asyncio
async def test_hover_resolves_names(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    doc = types.TextDocumentIdentifier(uri=uri)
    h = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=pos(SPEC, "{CART_ADDRESS}", 3))
    )
    assert "`CART_ADDRESS` = `cart.shop.svc.cluster.local:8080`" in h.contents.value
    h = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=pos(SPEC, "depends-on db", 11))
    )
    assert "**service `db`**" in h.contents.value
    assert "| `DB_ADDRESS` | `db.shop.svc.cluster.local:5432` |" in h.contents.value
    assert "used by `cart`" in h.contents.value
    h = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=pos(SPEC, '"cart"', 2))
    )
    assert "NodePort 30001 → http" in h.contents.value
    h = await client.text_document_hover_async(
        types.HoverParams(text_document=doc, position=pos(SPEC, 'secret="db"', 9))
    )
    assert "read by `db`" in h.contents.value


@pytest.mark.asyncio
async def test_definition_and_references(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    doc = types.TextDocumentIdentifier(uri=uri)
    d = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=pos(SPEC, "depends-on db", 12))
    )
    assert d.range.start == pos(SPEC, 'service "db"', 8)
    d = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=pos(SPEC, 'ref="DB_PORT"', 6))
    )
    assert d.range.start == pos(SPEC, "5432", nth=0)
    d = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc, position=pos(SPEC, 'key="PASSWORD"', 6))
    )
    assert d.range.start == pos(SPEC, "key PASSWORD", 4)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc,
            position=pos(SPEC, 'secret "db"', 8),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert sorted(r.range.start.line for r in refs) == [10, 17]


@pytest.mark.asyncio
async def test_completion_in_context(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    doc = types.TextDocumentIdentifier(uri=uri)

    async def labels(text: str, at: int) -> set[str]:
        await change(client, uri, text, 10 + at)
        r = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc, position=offset_pos(text, at))
        )
        items = r.items if hasattr(r, "items") else r
        return {i.label for i in items}

    t = SPEC.replace('    health http="/" port=http\n', '    health http="/" port=http\n    dep\n')
    got = await labels(t, t.index("    dep\n") + 7)
    assert {"depends-on", "env", "port", "ingress"} <= got
    assert "namespace-of" not in got
    t = SPEC.replace('    health http="/" port=http\n', '    health http="/" port=http\n    depends-on \n')
    assert await labels(t, t.index("depends-on \n") + 11) == {"db", "cart"}
    t = SPEC.replace('ref="DB_PORT"', 'ref="')
    got = await labels(t, t.index('ref="') + 5)
    assert {"DB_PORT", "DB_ADDRESS", "CART_ADDRESS", "WEB_PORT"} <= got
    t = SPEC.replace('"http://{CART_ADDRESS}/api"', '"http://{C')
    assert "CART_ADDRESS" in await labels(t, t.index("{C") + 2)
    t = SPEC.replace('key="PASSWORD"', 'key="')
    assert await labels(t, t.index('key="') + 5) == {"PASSWORD"}
    t = SPEC.replace('health tcp=pg', 'health tcp=')
    assert await labels(t, t.index("tcp=") + 4) == {"pg"}

    toml = tmp_path / "maestroc.toml"
    turi = await open_doc(client, toml, "[rules]\nMC4")
    r = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=turi), position=types.Position(1, 3)
        )
    )
    items = r.items if hasattr(r, "items") else r
    assert any(i.label == "MC401" and i.detail == "unpinned-image" for i in items)


@pytest.mark.asyncio
async def test_each_quick_fix_removes_its_finding(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    doc = types.TextDocumentIdentifier(uri=uri)
    text, version = SPEC, 1
    for code in ["MC105", "MC007", "MC408", "MC409"]:
        diag = next(d for d in client.diagnostics[uri] if d.code == code)
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc,
                range=diag.range,
                context=types.CodeActionContext(diagnostics=[diag]),
            )
        )
        fix = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
        assert fix, f"a quick fix for {code}"
        edits = fix[0].edit.changes[uri]
        assert len(edits) == 1, "one minimal edit"
        text = apply(text, edits[0])
        version += 1
        await change(client, uri, text, version)
        assert not any(d.code == code for d in client.diagnostics[uri]), (code, text)
    assert "depends-on cart" in text
    assert "node-port=30000" in text
    assert 'env DB_HOST "{DB_ADDRESS}"' in text
    assert 'allow "writable-root" reason="' in text


@pytest.mark.asyncio
async def test_formatting_is_maestroc_fmt(client: LanguageClient, tmp_path: Path):
    messy = SPEC.replace("    image \"web:1.0\"", "image   \"web:1.0\"")
    path = write(tmp_path, messy)
    uri = await open_doc(client, path)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            options=types.FormattingOptions(tab_size=4, insert_spaces=True),
        )
    )
    subprocess.run([MAESTROC, "fmt", "--spec", str(path)], check=True, capture_output=True)
    assert len(edits) == 1
    assert apply(messy, edits[0]) == path.read_text()


@pytest.mark.asyncio
async def test_document_symbols(client: LanguageClient, tmp_path: Path):
    path = write(tmp_path)
    uri = await open_doc(client, path)
    syms = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert [s.name for s in syms] == ["db", "db", "cart", "web"]
    cart = syms[2]
    assert [(c.name, c.detail) for c in cart.children] == [("http", "8080")]


@pytest.mark.asyncio
async def test_utf16_positions(utf16_client: LanguageClient, tmp_path: Path):
    text = SPEC.replace('"http://{CART_ADDRESS}/api"', '"h€llo 𝄞 {NOPE}"')
    path = write(tmp_path, text)
    uri = await open_doc(utf16_client, path)
    d = next(d for d in utf16_client.diagnostics[uri] if d.code == "MC007")
    line = text.split("\n")[d.range.start.line]
    prefix = line[: line.index("NOPE")]
    assert d.range.start.character == len(prefix.encode("utf-16-le")) // 2
    assert d.range.end.character - d.range.start.character == 4
