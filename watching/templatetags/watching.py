from django import template

from watching.models import Watch, kind_of

register = template.Library()


@register.inclusion_tag("watching/_watch_button.html", takes_context=True)
def watch_button(context, obj) -> dict:
    """The watch / stop watching button for one topic, detainee, source or conflict.

    One query for a logged-in user (is it watched?); none for a visitor, who
    gets a link to log in (the same for every visitor: cacheable).
    """
    request = context["request"]
    kind = kind_of(obj)
    watching = (
        request.user.is_authenticated
        and Watch.objects.active().filter(user=request.user, **{kind: obj}).exists()
    )
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "obj": obj,
        "kind": kind,
        "watching": watching,
    }
