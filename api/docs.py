"""
The API's docs page, /api/docs/: Swagger UI under the site's CSP.

Swagger UI's files come from drf-spectacular-sidecar, served as this site's
static files (no CDN). The split view serves the start-up script as a file
of its own (/api/docs/?script=), and the page template links the page's few
styles from static/api/docs.css instead of an inline <style>: the CSP allows
no inline script or style.
"""

from drf_spectacular.views import SpectacularSwaggerSplitView


class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
