from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .models import ApiToken, User


class AccountPreferencesForm(forms.ModelForm):
    """What a user sets for themselves: the interface language and the daily rating reminder."""

    class Meta:
        model = User
        fields = ["language", "wants_rating_reminders"]
        labels = {"wants_rating_reminders": _("Send me a daily e-mail listing the cleared declarations still to rate")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        language.widget = forms.Select()
        if language.required:
            language.choices = list(settings.LANGUAGES)
        else:
            language.choices = [("", _("Portal default")), *settings.LANGUAGES]
        if self.instance.role != Role.BUSINESS:
            # Only business users receive the rating reminder.
            del self.fields["wants_rating_reminders"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the token"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("Say where it is used, e.g. “ECUS on the accounting PC”."),
    )
