from django import template

from issues.templatetags.tracker import avatar_color

register = template.Library()

# Pages of the accounts app load this library; the filter itself lives with the other
# person filters (initials, display_name) in the tracker library.
register.filter("avatar_color", avatar_color)
