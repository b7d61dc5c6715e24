"""pytest-lsp fixtures: the real `maestroc lsp` binary over stdio, driven by a real LSP client.

MAESTROC names the binary (tests/lsp.rs sets it to the one cargo built). Two clients: one
that offers UTF-8 positions (Neovim, Helix and Zed do) and one that speaks UTF-16 only, like
VS Code, so both position encodings are exercised.
"""

import os
import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

MAESTROC = os.environ.get("MAESTROC", "maestroc")
CONFIG = ClientServerConfig(server_command=[MAESTROC, "lsp"])


def capabilities(utf8: bool) -> types.ClientCapabilities:
    general = types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16]
        if utf8
        else [types.PositionEncodingKind.Utf16]
    )
    return types.ClientCapabilities(general=general)


@pytest_lsp.fixture(config=CONFIG)
async def client(lsp_client: LanguageClient):
    result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities(utf8=True))
    )
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=CONFIG)
async def utf16_client(lsp_client: LanguageClient):
    result = await lsp_client.initialize_session(
        types.InitializeParams(capabilities=capabilities(utf8=False))
    )
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    yield
    await lsp_client.shutdown_session()


sys.dont_write_bytecode = True
