"""The integrator and each model's functions, compiled by numba and cached, signed, on disk.

:mod:`follicle.solvers.rodas4` is plain Python. Here its text is loaded as a kernel module
(:func:`follicle.codegen.module`: written to the private cache directory, numba's cache
files checked against their signatures before anything is read), its functions wrapped in
``numba.njit(cache=True)``, and the entry points compiled for one signature in which every
model function is a *first-class function type*: ``advance`` is compiled once per machine
for all models, and a model's functions are compiled once per model structure and passed
in at the call. (Passing numba dispatchers without declared types would compile the whole
loop again for every model and could not be cached across processes: the dispatcher's
identity is part of the key.) Calls through the function pointers cost no measurable time
next to the model's right-hand side.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from pathlib import Path
from types import ModuleType

from follicle import codegen
from follicle.errors import CacheError
from follicle.solvers import rodas4

__all__ = ["integrator", "model_functions"]

_LOCK = threading.Lock()
#: The functions of :mod:`follicle.solvers.rodas4` that numba compiles.
_JITTED = ("attempt", "next_step", "too_small", "watched", "hermite", "advance", "each_member")
#: The functions a generated model module defines (:mod:`follicle.codegen.kernels`): those
#: :func:`follicle.solvers.rodas4.advance` takes, in its order, then ``derived``.
_ORDER = ("rhs", "jac", "rhs_t", "factor", "solve", "observables", "derived")


def _types():
    from numba import types as nt

    vec, mat = nt.float64[::1], nt.float64[:, ::1]
    index, flags, counts = nt.intp[::1], nt.boolean[::1], nt.int64[::1]
    model = nt.void(nt.float64, vec, vec, vec)
    factor, solve = nt.void(vec), nt.void(vec, vec)
    fn = nt.FunctionType(model)
    advance = nt.void(
        fn, fn, fn, nt.FunctionType(factor), nt.FunctionType(solve), fn, nt.boolean,
        nt.intp, nt.intp, vec, vec, mat, mat, mat, mat, vec, counts, nt.float64, index,
        index, vec, nt.float64, flags, vec, flags, index, vec, vec, nt.boolean,
        vec, index, index, nt.float64[:, :, ::1],
        vec, mat, mat, flags, flags, counts, counts,
    )  # fmt: skip
    each_member = nt.void(fn, vec, mat, mat, mat)
    return {
        "model": model,
        "factor": factor,
        "solve": solve,
        "advance": advance,
        "each_member": each_member,
    }


def _interpreted() -> bool:
    """Whether numba runs the code as plain Python (``NUMBA_DISABLE_JIT=1``: the fallback
    that ``benchmarks/fallback.py`` times)."""
    from numba.core import config

    return bool(config.DISABLE_JIT)


@functools.cache
def _integrator_source() -> str:
    wrap = "".join(
        f"{name} = _njit(cache=True, error_model='numpy')({name})\n" for name in _JITTED
    )
    return f"{Path(rodas4.__file__).read_text()}\n\nfrom numba import njit as _njit\n\n{wrap}"


def _load(source: str, label: str, prepare) -> ModuleType:
    """The kernel module of ``source``, ``prepare(mod)`` run once (compiling it), its cache
    files signed; loading, compiling and signing hold the kernel's inter-process lock
    (:func:`follicle.codegen.exclusive`), so that concurrent processes compile it once."""
    mod = codegen.loaded(source)
    if mod is not None and getattr(mod, "ready", False):
        return mod
    with codegen.exclusive(source):
        mod = codegen.module(source, label)
        with _LOCK:
            if not getattr(mod, "ready", False):
                start = time.perf_counter()
                prepare(mod)
                mod.ready = True
                if mod.compiling and not _interpreted():
                    # advisory (the next compile note's estimate): never fails a run
                    with contextlib.suppress(OSError, CacheError):
                        codegen.record_compilation(source, time.perf_counter() - start)
        codegen.seal(mod)  # numba wrote the machine code when it compiled
    return mod


def integrator() -> ModuleType:
    """:mod:`follicle.solvers.rodas4` compiled (once per machine; loaded from the cache)."""
    return _load(_integrator_source(), "RODAS4, shared by all models", _prepare_integrator)


def _prepare_integrator(mod) -> None:
    if _interpreted():
        return
    types = _types()
    for name in ("advance", "each_member"):
        dispatcher = getattr(mod, name)
        dispatcher.compile(types[name])
        dispatcher.disable_compile()
        # The machine code's own entry, without the dispatcher's typing of every argument
        # at each call (~0.1 ms for the 40 of advance, 6 of them function types). It
        # checks dtypes but not layouts: callers (follicle.ensemble.batch) pass C-ordered
        # arrays only, as the signature says.
        (overload,) = dispatcher.overloads.values()
        setattr(mod, name, overload.entry_point)


def model_functions(source: str, label: str) -> ModuleType:
    """The generated module ``source`` of a model (:func:`follicle.codegen.kernels.kernel_source`),
    its functions compiled for the integrator's signatures; ``pointers`` holds them in the
    order :func:`follicle.solvers.rodas4.advance` takes them, ``derived`` the function of
    the parameter-only subexpressions (``N_DERIVED`` values)."""
    return _load(source, label, _prepare_model)


def _prepare_model(mod) -> None:
    functions = [getattr(mod, name) for name in _ORDER]
    if _interpreted():
        pointers = tuple(functions)
    else:
        types = _types()
        sigs = [types.get(name, types["model"]) for name in _ORDER]
        for function, sig in zip(functions, sigs, strict=True):
            function.compile(sig)
        pointer = _pointer_class()
        pointers = tuple(map(pointer, functions, sigs))
    *mod.pointers, mod.derived = pointers
    mod.pointers = tuple(mod.pointers)


@functools.cache
def _pointer_class():
    from numba.core.types import WrapperAddressProtocol
    from numba.experimental.function_type import _get_wrapper_address

    class Pointer(WrapperAddressProtocol):
        """A compiled model function as the integrator takes it: its address and signature,
        looked up once (numba looks a dispatcher's address up again at every call from
        Python, about 0.1 ms per function and call)."""

        def __init__(self, dispatcher, signature):
            self.address = _get_wrapper_address(dispatcher, signature)
            self.sig = signature
            self.dispatcher = dispatcher  # keeps the machine code alive

        def __wrapper_address__(self):
            return self.address

        def signature(self):
            return self.sig

    return Pointer
