"""map_ordered returns results in item order whatever runs them."""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from follicle.errors import FollicleError
from follicle.executors import map_ordered


def _square(x):
    return x * x


@pytest.mark.parametrize("make", [lambda: None, lambda: ThreadPoolExecutor(2)])
def test_results_come_back_in_item_order(make):
    executor = make()
    try:
        assert map_ordered(_square, range(20), executor=executor) == [i * i for i in range(20)]
    finally:
        if executor is not None:
            executor.shutdown()


def test_process_pool_gives_the_in_process_answer():
    with ProcessPoolExecutor(2) as pool:
        assert map_ordered(_square, [3, 1, 2], executor=pool) == [9, 1, 4]


def test_an_object_without_submit_is_refused_by_name():
    with pytest.raises(FollicleError, match="list, which has no submit"):
        map_ordered(_square, [1], executor=[])


def test_an_error_in_a_work_item_reaches_the_caller():
    def boom(x):
        raise ValueError(f"item {x}")

    with pytest.raises(ValueError, match="item 1"):
        map_ordered(boom, [1, 2])
