"""The kernel cache trusts nothing it did not sign (issue 16, findings 1 and 2).

numba's cache files are pickles; a planted one must not run, a truncated one must be
rebuilt with one warning, and the cache directory must belong to the user alone. Each test
uses its own ``FOLLICLE_CACHE`` and a tiny model, so compiling takes a few seconds.
"""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest
from _models import decay

import follicle as fl
from follicle import codegen

pytest.importorskip("numba")


def _run(rate=0.7):
    """A decay ensemble through the compiled kernel; exp(-k t) at t = 2 day."""
    model = decay(rate)
    ens = fl.simulate_ensemble(
        model, days=2, t_eval=[2.0], params={"k_deg": [rate]}, backend="numba"
    )
    return float(ens.values[0, 0, -1])


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache, and a process that has loaded no kernel from it yet."""
    root = tmp_path / "cache"
    monkeypatch.setenv("FOLLICLE_CACHE", str(root))
    monkeypatch.setattr(codegen, "_MODULES", {})
    monkeypatch.setattr(codegen, "_SEALED", {})
    return root


def _files(root, suffix):
    return sorted((root / "kernels" / "__pycache__").glob(f"*{suffix}"))


def _reload():
    """Forget the loaded kernels, as a new process would."""
    codegen._MODULES.clear()
    codegen._SEALED.clear()


def test_the_cache_is_private_and_signed(cache):
    assert _run() == pytest.approx(np.exp(-1.4), rel=1e-6)
    for path in (cache, cache / "kernels", cache / "key"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    assert _files(cache, ".nbi") and _files(cache, ".nbc")
    # One manifest per kernel module: the integrator (shared by all models) and the model's
    # functions; every cache file is listed in one of them.
    signed = list((cache / "kernels").glob("*.sig"))
    assert len(signed) == 2
    listed = "".join(path.read_text() for path in signed)
    assert all(p.name in listed for p in _files(cache, ".nbi") + _files(cache, ".nbc"))


def test_a_signed_cache_is_loaded_without_warning(cache):
    _run()
    _reload()
    with warnings.catch_warnings():
        warnings.simplefilter("error", fl.FollicleWarning)
        assert _run() == pytest.approx(np.exp(-1.4), rel=1e-6)


class _Payload:
    """Unpickling this writes a marker file: what a planted cache file would do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_pickle_does_not_run(cache, tmp_path):
    _run()
    marker = tmp_path / "pwned"
    index = _files(cache, ".nbi")
    for path in index:
        path.write_bytes(pickle.dumps(_Payload(str(marker))))
    _reload()
    with pytest.warns(fl.FollicleWarning, match="did not sign"):
        assert _run() == pytest.approx(np.exp(-1.4), rel=1e-6)
    assert not marker.exists()
    # The planted files are gone and numba's own are signed in their place.
    _reload()
    with warnings.catch_warnings():
        warnings.simplefilter("error", fl.FollicleWarning)
        _run()
    assert not marker.exists()


@pytest.mark.parametrize(("suffix", "keep"), [(".nbi", 0), (".nbc", 10)])
def test_a_truncated_cache_file_is_rebuilt(cache, suffix, keep):
    _run()
    for path in _files(cache, suffix):
        path.write_bytes(path.read_bytes()[:keep])
    _reload()
    with pytest.warns(fl.FollicleWarning, match=r"removed \d+ kernel cache file"):
        assert _run() == pytest.approx(np.exp(-1.4), rel=1e-6)
    assert all(p.stat().st_size > keep for p in _files(cache, suffix))


def test_files_signed_with_another_key_are_not_trusted(cache):
    _run()
    (cache / "key").unlink()  # a new key: every old signature is now foreign
    _reload()
    with pytest.warns(fl.FollicleWarning, match="did not sign"):
        _run()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_writable_by_others_is_refused(cache):
    cache.mkdir()
    cache.chmod(0o777)
    with pytest.raises(fl.errors.CacheError, match=str(cache)) as err:
        _run()
    assert "chmod go-w" in str(err.value)


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_owned_by_someone_else_is_refused(cache, monkeypatch):
    cache.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)
    with pytest.raises(fl.errors.CacheError, match="not to you"):
        codegen.cache_dir()


def test_a_new_cache_directory_is_owner_only(cache):
    assert stat.S_IMODE(codegen.cache_dir().stat().st_mode) == 0o700


def test_without_home_or_follicle_cache_there_is_no_shared_fallback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"FOLLICLE_CACHE", "HOME"}}
    code = (
        "import pwd, os, pathlib\n"
        "pathlib.Path.home = classmethod(lambda cls: (_ for _ in ()).throw(RuntimeError()))\n"
        "from follicle import codegen\n"
        "try:\n    codegen.cache_dir()\nexcept Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.startswith("CacheError"), out
    assert "FOLLICLE_CACHE" in out.stdout


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the inter-process lock is POSIX only")
def test_two_processes_on_a_cold_cache_compile_once_and_remove_nothing(tmp_path):
    """Pool or Dask workers starting together: one compiles and signs each kernel, the
    other waits and loads its files (before the lock, it found them unsigned, removed them
    with a warning and compiled again)."""
    tests = os.path.dirname(os.path.abspath(__file__))
    code = (
        f"import sys; sys.path.insert(0, {tests!r}); import follicle as fl; "
        "from _models import decay; e = fl.simulate_ensemble(decay(k=0.7), days=2, "
        "t_eval=[2.0], params={'k_deg': [0.7]}); print(e.values[0, 0, -1])"
    )
    env = {**os.environ, "FOLLICLE_CACHE": str(tmp_path / "cache")}
    runs = [
        subprocess.Popen(
            [sys.executable, "-W", "always", "-c", code],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    for out, _ in outputs:
        assert float(out) == pytest.approx(np.exp(-1.4), rel=1e-6)
    errors = "".join(err for _, err in outputs)
    assert "did not sign" not in errors
    assert errors.count("compiling the integrator for 'RODAS4") == 1
    assert errors.count("compiling the integrator for 'decay'") == 1


def test_the_compile_note_estimates_the_wait_from_earlier_compilations(tmp_path, monkeypatch):
    monkeypatch.setenv("FOLLICLE_CACHE", str(tmp_path / "cache"))
    source = "x = 1\n" * 1000  # 6,000 characters
    assert "coupled model" in codegen.compile_estimate(source)  # nothing timed here yet
    codegen.record_compilation("y" * 3000, 20.0)  # half the size: twice the time
    codegen.record_compilation("z" * 600_000, 1.0)  # far from the size: ignored
    assert codegen.compile_estimate(source) == "about 40 s, judging by earlier compilations here"
    codegen.record_compilation("w" * 5000, 1.0)
    assert codegen.compile_estimate(source) == "a few seconds"
    (tmp_path / "cache" / "kernels" / "compilations.json").write_text("not json")
    assert "coupled model" in codegen.compile_estimate(source)  # a damaged note is no error
