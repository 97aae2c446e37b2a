"""`{% card %}`: an `{% include %}` whose output is kept for the same data (claims/rendering.py)."""

from django import template
from django.template.loader_tags import IncludeNode, do_include

from claims import rendering

register = template.Library()


class CardNode(template.Node):
    """Render a card partial as `{% include %}` would, through the store of rendered cards."""

    def __init__(self, include: IncludeNode) -> None:
        self.include = include

    def render(self, context) -> str:
        include = self.include
        name = include.template.resolve(context)
        cache = context.render_context.dicts[0].setdefault(self, {})
        partial = cache.get(name)
        if partial is None:
            partial = cache[name] = context.template.engine.get_template(name)
        extra = {key: value.resolve(context) for key, value in include.extra_context.items()}
        return rendering.render_card(self, partial, context, extra, lambda: include.render(context))


@register.tag
def card(parser, token) -> CardNode:
    """`{% card "claims/_claim_row.html" [with name=value …] %}`: arguments as include's."""
    include = do_include(parser, token)
    if include.isolated_context:
        raise template.TemplateSyntaxError("{% card %} takes no `only`: it reads the context.")
    # The parser gives these to the node it is handed (CardNode), not to the one inside.
    include.origin, include.token = parser.origin, token
    return CardNode(include)
