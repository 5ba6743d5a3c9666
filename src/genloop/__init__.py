"""GenLoop: the whole GenOps loop in one install."""

__version__ = "0.1.0"
