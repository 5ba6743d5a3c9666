"""Named provider connections: the only way a server-held credential reaches an upstream.

An operator (a key with the ``operator`` scope, or the CLI on the server) creates a connection: a name, a
wire format, a base URL and where its secret comes from (an environment variable of the server, or a
stored secret). Deployments (``variants[].connection``) and models (``config.connection``) refer to it by
name; nothing a project writes can choose where a server secret is sent or which variable is read.
"""

from genloop.connections._schemas import WIRE_FORMATS, ConnectionCreate, ConnectionInfo
from genloop.connections._service import ConnectionService, ResolvedConnection

__all__ = ["WIRE_FORMATS", "ConnectionCreate", "ConnectionInfo", "ConnectionService", "ResolvedConnection"]
