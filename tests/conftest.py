"""Shared fixtures: one real index over a copy of the real corpus, built once per test session.

The model is the real offline default (converted once into the user's model cache); the index and
its embedding cache live in a temporary folder so tests never touch the project's index/ or corpus/.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "corpus"


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("kb")
    shutil.copytree(CORPUS, root / "corpus")
    return Settings.load(corpus_dir=root / "corpus", index_dir=root / "index", data_dir=root / "data")


@pytest.fixture(scope="session")
def engine(kb_settings):
    """The real engine on the real corpus (do not add documents to it: use a copy, see fresh_settings)."""
    from kb.engine import Engine

    return Engine.open(kb_settings)


@pytest.fixture
def fresh_settings(tmp_path, kb_settings) -> Settings:
    """An empty index folder over a private corpus copy; shares nothing writable with `engine`."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    return kb_settings.replace(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")
