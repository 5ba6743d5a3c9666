"""`genloop demo` (placeholder until the demo lands)."""


def demo() -> None:
    """Seed a sample project and print what to try next."""
