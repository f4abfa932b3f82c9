"""Pages of a user's own account: password reset and change, invitations, sessions. Thin: the rules are
in directory.accounts."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import accounts
from .account_forms import AcceptInvitationForm, InvitationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from .throttling import limit_per_address


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    @method_decorator(limit_per_address("password-reset"))
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm


class AcceptInvitationView(auth_views.PasswordResetConfirmView):
    """The invitee's set-password page; Django's reset confirmation with the invitation's token and form
    (it also moves the token out of the address before the page is shown, so no Referer carries it)."""

    form_class = AcceptInvitationForm
    token_generator = accounts.invitation_token_generator
    template_name = "directory/invitation_accept.html"
    success_url = reverse_lazy("login")
    reset_url_token = "set-password"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["already_used"] = accounts.invitation_already_used(self.user)
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. You can now sign in."))
        return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def invite(request):
    if not accounts.may_invite(request.user):
        raise PermissionDenied(_("Only administrators and business administrators invite users."))
    form = InvitationForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user, created = accounts.invite(request.user, form.invitation())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, _("An invitation has been sent to %(email)s.") % {"email": user.email})
            else:
                messages.success(
                    request, _("%(email)s now also acts for the chosen businesses.") % {"email": user.email}
                )
            return redirect("invite")
    return render(request, "directory/invite.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@login_required
def sessions(request):
    listed = accounts.active_sessions(request.user, request.session.session_key)
    return render(request, "directory/sessions.html", {"sessions": listed})


@login_required
@require_POST
def end_sessions(request):
    ref = request.POST.get("session") or None
    ended = accounts.end_sessions(request.user, request.session.session_key, ref=ref)
    if ended:
        text = ngettext("Signed out of %(count)s other session.", "Signed out of %(count)s other sessions.", ended)
        messages.success(request, text % {"count": ended})
    else:
        messages.info(request, _("No other session was ended."))
    return redirect("sessions")
