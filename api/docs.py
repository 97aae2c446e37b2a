"""
The API's docs page, /api/docs/: Swagger UI under the site's CSP.

Swagger UI's files come from drf-spectacular-sidecar, served as this site's
static files (no CDN). The split view serves the start-up script as a file
of its own (/api/docs/?script=), and the page template links the page's few
styles from static/api/docs.css instead of an inline <style>: the CSP allows
no inline script or style.

Both views answer their errors in JSON, as every /api/ address does.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer


class JsonErrors:
    """Answer errors (a POST: 405) in JSON, as the rest of /api/ does, not as YAML or HTML."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JsonErrors, SpectacularAPIView):
    pass


class SwaggerView(JsonErrors, SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
