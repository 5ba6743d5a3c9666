"""`genloop lineage REF` (placeholder until the runs slice lands)."""


def lineage() -> None:
    """Show the graph behind a version."""
