"""Forms of the account pages: password reset and change (Django's, audited), invitations."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from . import accounts, audit
from .choices import Role
from .models import Branch, Business, Department, Officer, Team
from .taxcode import normalize_tax_code


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form; the mail goes through the outbox, never to accounts that cannot sign in on the web."""

    def get_users(self, email):
        return (user for user in super().get_users(email) if accounts.can_reset_password(user))

    def save(self, *args, token_generator=default_token_generator, **kwargs):
        # Django's save renders and sends; ours queues the mail in the recipient's language.
        for user in self.get_users(self.cleaned_data["email"]):
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            accounts.send_password_reset(user, uid, token_generator.make_token(user))


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The new password after a reset link; audited."""

    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit)
        audit.record(user, "user.password_reset", user)
        return user


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit)
        audit.record(user, "user.password_changed", user)
        return user


class AcceptInvitationForm(auth_forms.SetPasswordForm):
    """The invitee's first password; it activates the account."""

    def save(self, commit=True):
        return accounts.accept_invitation(self.user, self.cleaned_data["new_password1"])


class InvitationForm(forms.Form):
    """Who to invite. A business administrator sees only the fields of a colleague and their own businesses."""

    email = forms.EmailField(label=_("E-mail address"))
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.INTEGRATION])
    department = forms.ModelChoiceField(Department.objects.all(), label=_("Department"), required=False)
    branch = forms.ModelChoiceField(Branch.objects.filter(is_active=True), label=_("Branch"), required=False)
    team = forms.ModelChoiceField(Team.objects.filter(is_active=True), label=_("Team"), required=False)
    officer = forms.ModelChoiceField(
        Officer.objects.filter(is_active=True, user__isnull=True), label=_("Officer"), required=False
    )
    tax_codes = forms.CharField(
        label=_("Tax codes of the businesses"),
        required=False,
        help_text=_("One or more tax codes separated by commas, e.g. 5700100104, 5700100111."),
    )
    businesses = forms.ModelMultipleChoiceField(
        queryset=Business.objects.none(), label=_("Businesses"), required=False, widget=forms.CheckboxSelectMultiple
    )
    business_admin = forms.BooleanField(
        label=_("Business administrator (may invite colleagues and manage API tokens)"), required=False
    )

    # The unit each role needs (the User model's constraints say the same).
    ROLE_UNITS = {
        Role.OFFICER: "officer",
        Role.TEAM_LEADER: "team",
        Role.BRANCH_LEADER: "branch",
        Role.DEPARTMENT_STAFF: "department",
    }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["businesses"].queryset = accounts.invitable_businesses(actor).order_by("name")
        if actor.is_administrator:
            del self.fields["businesses"]
        else:
            for name in ("role", "department", "branch", "team", "officer", "tax_codes"):
                del self.fields[name]

    def clean_tax_codes(self):
        raw = self.cleaned_data.get("tax_codes", "")
        codes = []
        for part in raw.replace(";", ",").split(","):
            if part.strip():
                try:
                    codes.append(normalize_tax_code(part.strip()))
                except ValidationError as exc:
                    raise ValidationError(exc.messages) from exc
        found = {b.tax_code: b for b in accounts.invitable_businesses(self.actor).filter(tax_code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise ValidationError(_("No business has the tax code %(codes)s.") % {"codes": ", ".join(missing)})
        return [found[code] for code in dict.fromkeys(codes)]

    def clean(self):
        data = super().clean()
        role = data.get("role", Role.BUSINESS)
        businesses = data.get("businesses") if "businesses" in self.fields else data.get("tax_codes")
        businesses = list(businesses or [])
        data["business_list"] = businesses
        unit = self.ROLE_UNITS.get(role)
        if unit and not data.get(unit):
            self.add_error(unit, _("This role needs this field."))
        if role == Role.BUSINESS and not businesses:
            field = "businesses" if "businesses" in self.fields else "tax_codes"
            self.add_error(field, _("Choose at least one business."))
        return data

    def invitation(self) -> accounts.InvitationRequest:
        data = self.cleaned_data
        role = data.get("role", Role.BUSINESS)

        def pk(name):
            value = data.get(name)
            return value.pk if value is not None else None

        return accounts.InvitationRequest(
            email=data["email"],
            full_name=data["full_name"],
            role=role,
            businesses=tuple(data["business_list"]) if role == Role.BUSINESS else (),
            business_admin=data.get("business_admin", False),
            department_id=pk("department"),
            branch_id=pk("branch"),
            team_id=pk("team"),
            officer_id=pk("officer"),
        )
