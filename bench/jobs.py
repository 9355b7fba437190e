"""A trivial job: the baseline for the worker's own cost per job."""


def noop(number: int) -> int:
    return number
