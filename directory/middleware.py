from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control


class PortalLocaleMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose otherwise: the user's saved language, then the language cookie.

    The browser's Accept-Language is ignored on purpose: a Vietnamese portal opened in an English
    browser should still speak Vietnamese until someone presses the switch.
    """

    def process_request(self, request):
        language = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = user.language
        if not language:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class PrivateResponseMiddleware:
    """`Cache-Control: no-store` on every answer that may carry personal data: anything served to a
    signed-in user or to an API client, and the survey pages (reached with a respondent's code). Public
    pages (the landing page, the published CDCI, static files) stay cacheable."""

    PRIVATE_PREFIXES = ("/survey/", "/api/", "/accounts/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or "HTTP_AUTHORIZATION" in request.META or request.path.startswith(self.PRIVATE_PREFIXES):
            patch_cache_control(response, no_store=True, no_cache=True, private=True, max_age=0)
        return response
