"""Baseline: POST /bench/baseline/ inserts one row; every other figure is read against it."""

NAME = "baseline"


def run(ctx) -> None:
    """Load the baseline endpoint and print its figures as ``baseline_insert_*``."""
    result = ctx.load("/bench/baseline/", method="POST", body="", expect=201)
    ctx.report("baseline_insert", result)
