"""The ``genloop`` command line (interface layer)."""
