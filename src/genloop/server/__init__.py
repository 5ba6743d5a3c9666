"""The REST server (interface layer)."""

from genloop.server.app import API_PREFIX, create_app, create_server

__all__ = ["API_PREFIX", "create_app", "create_server"]
