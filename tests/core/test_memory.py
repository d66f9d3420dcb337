"""core.memory.gc_paused: the collector is off inside the block and as it was after it."""

import gc

import pytest

from zairyu.core.memory import gc_paused


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collector_paused_inside_and_back_after():
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_back_after_an_error():
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_collector_left_off_when_it_was_off():
    gc.disable()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled()
