"""Top page: GET / as an anonymous visitor (template rendering, no writes)."""

NAME = "top_page"


def run(ctx) -> None:
    """Load the portal top page and print its figures and its ratio to the baseline."""
    result = ctx.load("/")
    ctx.report("top_page", result)
    ctx.ratio("top_page_vs_baseline", result)
