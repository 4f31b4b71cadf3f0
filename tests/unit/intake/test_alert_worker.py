"""The one thread that processes alert deliveries: woken, it drains; stopped, it finishes the one in hand."""

import threading

from firehouse.intake.worker import AlertWorker


def test_the_worker_drains_on_a_thread_when_woken_and_stops_after_the_delivery_in_hand():
    drained, release = threading.Event(), threading.Event()
    seen = []

    def drain(*, keep_going):
        seen.append(keep_going())
        drained.set()
        release.wait(5)
        seen.append(keep_going())  # told to stop after the delivery in hand

    worker = AlertWorker(drain)
    worker.wake()
    assert drained.wait(5)
    assert worker.stop(timeout=0) is False  # asked to stop while a delivery is in hand
    release.set()
    assert worker.stop(timeout=5) is True
    assert seen == [True, False]

    drained.clear()
    release.clear()  # a drain started now would stay in hand, its thread alive
    before = set(threading.enumerate())
    worker.wake()  # after stop: nothing starts again
    started = [t for t in set(threading.enumerate()) - before if t.name == "firehouse-alerts"]
    assert started == []  # a wake that starts the thread has started it before it returns
    assert not drained.wait(0.5) and seen == [True, False]
    release.set()


def test_each_wake_drains_again_once_the_drain_in_hand_is_done():
    calls = threading.Semaphore(0)

    def drain(*, keep_going):
        calls.release()

    worker = AlertWorker(drain)
    try:
        for _ in range(3):
            worker.wake()
            assert calls.acquire(timeout=5)  # the drain itself says it ran
    finally:
        assert worker.stop(timeout=5)
