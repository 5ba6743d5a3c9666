"""The REST server (interface layer)."""

from genloop.server.app import API_PREFIX, create_app

__all__ = ["API_PREFIX", "create_app"]
