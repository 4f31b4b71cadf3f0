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
    worker.wake()  # after stop: nothing starts again
    assert seen == [True, False]
