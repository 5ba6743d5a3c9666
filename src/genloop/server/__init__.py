"""The REST server (interface layer)."""

from genloop.server._background import BackgroundServer
from genloop.server.app import API_PREFIX, create_app, create_server

__all__ = ["API_PREFIX", "BackgroundServer", "create_app", "create_server"]
