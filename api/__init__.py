"""
The REST API, /api/: Django REST framework over the same FilterSets, forms and
model methods as the HTML pages, so that the two front ends cannot disagree.

- api.views: the endpoints and the choices behind them (what is read, which
  action a claim edit takes, 409s).
- api.conventions: auth, pagination, the shape of errors, malformed JSON.
- api.forms: JSON bound to the web forms; the schema's request bodies.
- api.docs: the Swagger UI page under the site's CSP.
- `manage.py api_token USER`: a user's token for scripts.

The OpenAPI 3 schema is /api/schema/ (drf-spectacular), the docs /api/docs/.
"""
