"""Where batches of work run: in this process, in a pool, or on a Dask cluster.

:func:`map_ordered` is the one place that knows about executors. Sweeps and multi-start
fits hand it a function and a list of work items (each a vectorised batch) and get the
results back in item order, whatever ran them:

* ``executor=None`` runs the items one after the other in this process;
* any :class:`concurrent.futures.Executor` (threads or processes) runs them in its pool;
* a ``dask.distributed.Client`` runs them on its cluster (the ``[distributed]`` extra).

Both executor kinds have ``submit(fn, item)`` returning a future with ``result()``, so no
code here depends on Dask. Results are collected in submission order, which makes the
output independent of which worker finished first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from follicle.errors import FollicleError

__all__ = ["map_ordered"]


def map_ordered(
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    executor: Any = None,
    progress: bool | None = None,
    desc: str = "",
) -> list[Any]:
    """Apply ``fn`` to every item and return the results in item order.

    Parameters
    ----------
    fn : callable
        Called once per item. With an executor it must be picklable (a module-level
        function or a :func:`functools.partial` of one).
    items : iterable
        The work items, typically one vectorised batch each.
    executor : None, concurrent.futures.Executor or dask.distributed.Client
        Where to run. ``None`` runs in this process.
    progress : bool, optional
        Show a progress bar (``tqdm``, if installed). The default shows one only when
        standard error is a terminal and there is more than one item.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        ``[fn(item) for item in items]``, in that order.

    Raises
    ------
    FollicleError
        If ``executor`` has no ``submit`` method.
    """
    items = list(items)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise FollicleError(
            f"executor must be None, a concurrent.futures.Executor or a "
            f"dask.distributed.Client; got {type(executor).__name__}, which has no submit()"
        )
    bar = _progress_bar(len(items), progress, desc)
    try:
        if executor is None:
            results = []
            for item in items:
                results.append(fn(item))
                bar.update(1)
            return results
        futures = [executor.submit(fn, item) for item in items]
        results = []
        for future in futures:
            results.append(future.result())
            bar.update(1)
        return results
    finally:
        bar.close()


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, progress: bool | None, desc: str):
    if progress is None:
        progress = total > 1 and sys.stderr.isatty()
    if not progress:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, desc=desc or None, leave=False)
