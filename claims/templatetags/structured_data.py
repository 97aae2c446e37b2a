"""Structured data for the page's <head>: JSON-LD that consumers read and browsers never run."""

from django import template
from django.utils.safestring import SafeString

from claims.claimreview import json_ld_script

register = template.Library()


@register.filter
def json_ld(data: dict | None) -> SafeString:
    """Return a <script type="application/ld+json"> block for data, or nothing."""
    return json_ld_script(data)
