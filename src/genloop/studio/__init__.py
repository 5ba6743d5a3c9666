"""Studio: the web UI served by ``genloop server`` at ``/`` (server-rendered pages over the domain services).

Interface layer, like the REST routers: routes parse the request, call a service, render a template.
Templates live in ``templates/`` (one base layout, macros for repeated widgets), the stylesheet and the
vendored htmx and uPlot in ``static/`` (provenance in ``static/vendor/VENDOR.json``).
"""

from genloop.studio._app import create_studio, with_studio

__all__ = ["create_studio", "with_studio"]
