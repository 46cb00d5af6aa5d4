"""Who a request comes from, for the login limits: the one rule for telling clients apart."""

from rest_framework.throttling import BaseThrottle


def client_address(request):
    """REMOTE_ADDR, or behind our proxy (DJANGO_BEHIND_PROXY=1) the address it appended to X-Forwarded-For.

    DRF's get_ident reads the same NUM_PROXIES setting, so the API's throttles and the login limits
    see the same client.
    """
    return BaseThrottle().get_ident(request)
