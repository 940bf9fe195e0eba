from django import template

from accounts.models import AVATAR_COLORS

register = template.Library()


@register.filter
def avatar_color(user) -> str:
    """The avatar background for `user`, white initials on it reading at ≥ 4.5:1.

    Their chosen colour when their profile is already loaded (the signed-in user's always is:
    accounts.backends); otherwise one of the same colours picked by their id, never a query.
    """
    if user is None:
        return AVATAR_COLORS[-1][0]
    profile = user._state.fields_cache.get("profile")
    if profile is not None and profile.avatar_color:
        return profile.avatar_color
    return AVATAR_COLORS[(user.pk or 0) % len(AVATAR_COLORS)][0]
