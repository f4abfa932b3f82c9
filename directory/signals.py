from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import accounts, audit, authentication
from .charter import create_default_commitments
from .models import ApiToken, Department, User


@receiver(user_logged_in, dispatch_uid="directory.adopt_language_chosen_before_login")
def adopt_language_chosen_before_login(sender, request, user, **kwargs):
    """A language picked with the switch before signing in becomes the user's saved language.

    The saved language outranks the cookie once signed in (PortalLocaleMiddleware), so without this
    someone who switched the login form to English would land on Vietnamese pages right after it.
    """
    if request is None:
        return
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if language in dict(settings.LANGUAGES) and getattr(user, "language", language) != language:
        user.language = language
        user.save(update_fields=["language"])


@receiver(user_locked_out, dispatch_uid="directory.audit_lockout")
def audit_lockout(sender, request, username, ip_address, **kwargs):
    """A lockout of a known account goes into its audit trail (axes keeps every attempt in its own tables)."""
    user = User.objects.filter(username=username).first() if username else None
    if user is not None:
        audit.record(None, "auth.locked_out", user, {"ip_address": ip_address, "path": request.path})


@receiver(user_logged_in, dispatch_uid="directory.remember_sign_in")
def remember_sign_in(sender, request, user, **kwargs):
    """The device and time of each sign-in, shown on the user's list of sessions."""
    if request is not None and hasattr(request, "session"):
        accounts.remember_sign_in(request)


@receiver(post_save, sender=Department, dispatch_uid="directory.charter_defaults_for_new_department")
def charter_defaults_for_new_department(sender, instance, created, raw=False, **kwargs):
    """A new department commits to the charter's timings until it sets its own (not while loading fixtures)."""
    if created and not raw:
        create_default_commitments(instance)


@receiver(post_save, sender=ApiToken, dispatch_uid="directory.forget_saved_token")
def forget_saved_token(sender, instance, **kwargs):
    """A token saved (revoked) in this process is checked against the database on its next use."""
    authentication.forget_token(instance.key_hash)


@receiver(post_save, sender=User, dispatch_uid="directory.forget_tokens_of_saved_user")
def forget_tokens_of_saved_user(sender, instance, **kwargs):
    """A user saved (disabled, role changed) in this process: their tokens are read again on next use."""
    authentication.forget_user(instance.pk)
