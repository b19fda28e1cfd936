"""Helpers of the tests that race requests against the session's real Label Studio: items to
push, the projects of one title, and callables run in threads released at the same instant."""

from __future__ import annotations

import threading


def items(start, stop):
    return [
        {"item_id": f"c{i}", "text": f"post number {i}: I feel so alone with this diagnosis"}
        for i in range(start, stop)
    ]


def titled(studio, title):
    return sorted(p.id for p in studio.client().projects.list(title=title, page_size=100) if p.title == title)


def run_together(jobs):
    """Run the callables in threads released at the same instant; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(k):
        barrier.wait()
        try:
            results[k] = jobs[k]()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results
