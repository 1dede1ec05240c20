"""A database URL that names no store is refused in words, before anything is opened."""

from __future__ import annotations

import pytest

from adapters.store import StoreError, persistence_env


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://", "sqlite:///   "])
def test_a_sqlite_url_without_a_file_is_refused_naming_the_url(url):
    with pytest.raises(StoreError, match="names no file"):
        persistence_env(url)


def test_a_sqlite_url_with_a_file_names_that_file(tmp_path):
    assert persistence_env(f"sqlite:///{tmp_path}/events.sqlite")["SQLITE_DBNAME"] == f"{tmp_path}/events.sqlite"
