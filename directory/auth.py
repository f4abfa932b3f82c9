from django.conf import settings
from django.contrib.auth.backends import ModelBackend


def demo_accounts_allowed() -> bool:
    """Demo accounts (password `demo`) exist for the embedded demo only."""
    return settings.DEBUG


class PortalModelBackend(ModelBackend):
    """Django's backend, refusing demo accounts when DEBUG is off."""

    def user_can_authenticate(self, user) -> bool:
        if getattr(user, "is_demo", False) and not demo_accounts_allowed():
            return False
        return super().user_can_authenticate(user)
