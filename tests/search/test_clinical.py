"""The CIM-11 vocabulary is built once and then read from a cache named by its inputs."""

import shutil

from ato.search import clinical


def test_the_vocabulary_is_cached_and_read_back_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("ATO_CACHE_DIR", str(tmp_path))
    built = clinical._load()
    (cache,) = tmp_path.glob("cim11-*.json")
    monkeypatch.setattr(clinical, "_build", lambda: (_ for _ in ()).throw(AssertionError))
    read = clinical._load()  # from the cache: building again would fail
    assert [(c.code, c.stems, c.slugs) for c in read.concepts] == [
        (c.code, c.stems, c.slugs) for c in built.concepts
    ]
    assert read.abbreviations == built.abbreviations
    assert cache.name == clinical._cache_file().name


def test_a_changed_mapping_gets_a_cache_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setenv("ATO_CACHE_DIR", str(tmp_path))
    before = clinical._cache_file()
    changed = tmp_path / "cim11_specialites.csv"
    shutil.copy(clinical.MAPPING_FILE, changed)
    with changed.open("a", encoding="utf-8") as handle:
        handle.write("\n")
    monkeypatch.setattr(clinical, "MAPPING_FILE", changed)
    assert clinical._cache_file() != before


def test_an_unwritable_cache_only_costs_the_build(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("ATO_CACHE_DIR", str(blocker))
    assert clinical._load().concepts  # built, not cached, no error
