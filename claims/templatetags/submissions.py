"""`{% submission_token %}`: a form's hidden one-time token (claims/submissions.py)."""

from django import template
from django.utils.html import format_html

from claims.submissions import FIELD, new_token

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """Render a hidden input with a fresh token: each form drawn gets its own."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
