"""The page behind a one-click rating link (/r/<secret>/): the rating form of one declaration, for the
business user the link acts for, without signing in. It opens no session: whoever holds the link can
rate that one declaration, once, and see nothing else. A link that cannot be used says why and offers
the sign-in page."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils import translation
from django.views import View
from django.views.decorators.cache import never_cache

from directory.throttling import limit_per_address

from ..models import RatingLink
from .forms import RatingForm
from .links import LinkUnusable, find_link, link_problem, rate_with_link
from .services import AlreadyRated
from .window import rating_window


class RatingLinkView(View):
    def dispatch(self, request, *args, **kwargs):
        link = find_link(kwargs["token"])
        if link is not None and link.user.language:
            # The page speaks the language of the user the link acts for, as their e-mails do.
            translation.activate(link.user.language)
            request.LANGUAGE_CODE = link.user.language
        problem = link_problem(link)
        if problem is not None:
            return self.render_unusable(problem, status=404 if link is None else 410)
        self.link: RatingLink = link
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token):
        return self.render_form(RatingForm(declaration=self.link.declaration))

    def post(self, request, token):
        declaration = self.link.declaration
        form = RatingForm(request.POST, declaration=declaration)
        action = request.POST.get("action", "review")
        if action == "edit" or not form.is_valid():
            return self.render_form(form, status=200 if form.is_valid() else 400)
        if action != "send":
            context = {"declaration": declaration, "form": form, "hidden_values": form.hidden_values()}
            return TemplateResponse(request, "feedback/rate_confirm.html", {**context, "via_link": True})
        arguments, sent_officers = form.submission()
        try:
            rate_with_link(self.link, **arguments)
        except (LinkUnusable, AlreadyRated, PermissionDenied):
            self.link.refresh_from_db()
            return self.render_unusable(link_problem(self.link) or "", status=410)
        except ValidationError as error:
            form.add_service_errors(error, sent_officers)
            return self.render_form(form, status=400)
        return TemplateResponse(request, "feedback/rating_link_done.html", {"declaration": declaration})

    def render_form(self, form: RatingForm, status: int = 200):
        window = rating_window(form.declaration)
        context = {"declaration": form.declaration, "form": form, "closes_at": window.closes_at, "via_link": True}
        return TemplateResponse(self.request, "feedback/rate.html", context, status=status)

    def render_unusable(self, problem: str, *, status: int):
        return TemplateResponse(self.request, "feedback/rating_link_unusable.html", {"problem": problem}, status=status)


def _private(view):
    """No caching and no referrer to other sites (the secret is in the address); per address, so that
    trying secrets one after another is slow."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(limit_per_address("rating-link")(wrapped))


rating_link_page = _private(RatingLinkView.as_view())
