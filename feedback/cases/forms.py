"""Forms of the case page, one per workflow step. They only read the input: feedback.cases.services
decides what is valid and who may do it; its ValidationError messages are put back on these fields
(the field names are the keys the services use)."""

from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from ..choices import CaseConclusion, Level
from .rules import eligible_verifiers
from .services import TEXT_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from directory.models import User


def _text(label, *, help_text="", rows=4):
    # Not required here: an empty text reaches the service, whose message says what is missing.
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_MAX_LENGTH}),
    )


class CaseStepForm(forms.Form):
    """Base of the step forms: `action` names the step (and the URL the form posts to)."""

    action = ""
    title: "StrOrPromise" = ""
    intro: "StrOrPromise" = ""
    submit_label: "StrOrPromise" = ""

    def __init__(self, *args, case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the service's messages next to the fields they name; the others above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields and field != NON_FIELD_ERRORS else None, messages)


class AssignForm(CaseStepForm):
    action = "assign"
    title = _("Assign a verifier")
    submit_label = _("Assign")
    verifier: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Verifier"), empty_label=_("Choose a verifier")
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        field = self.fields["verifier"]
        field.queryset = eligible_verifiers(case).select_related("team", "branch")
        field.label_from_instance = self.verifier_label
        if case.assigned_to_id and not self.is_bound:
            field.initial = case.assigned_to_id
        elif not self.is_bound:
            # A branch with one possible verifier: the form submits as it is shown.
            only = list(field.queryset.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                field.initial = only[0]

    @staticmethod
    def verifier_label(user) -> str:
        unit = user.team.name if user.team_id else (user.branch.name if user.branch_id else "")
        name = user.get_full_name() or user.username
        return f"{name} — {user.get_role_display()}" + (f", {unit}" if unit else "")


class FindingsForm(CaseStepForm):
    action = "findings"
    title = _("Record the findings")
    submit_label = _("Record the findings")
    findings = _text(_("Findings"), help_text=_("What the verification found; recording them again replaces them."))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        if case.findings and not self.is_bound:
            self.fields["findings"].initial = case.findings


class ExplanationForm(CaseStepForm):
    action = "explanation"
    title = _("Your explanation")
    submit_label = _("Send the explanation")
    explanation = _text(
        _("Your explanation"),
        help_text=_("Read by the leaders and the department only, never by the business. It can be sent once."),
    )


class ConcludeForm(CaseStepForm):
    action = "conclude"
    title = _("Conclude")
    submit_label = _("Record the conclusion")
    conclusion = forms.ChoiceField(
        label=_("Conclusion"),
        required=False,
        choices=CaseConclusion.choices,
        widget=forms.RadioSelect,
    )
    corrective_action = _text(
        _("Corrective action"), help_text=_("Required when the complaint is substantiated, even partly."), rows=3
    )
    internal_note = _text(_("Internal note"), help_text=_("Never shown to the business."), rows=3)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        if case.conclusion and not self.is_bound:
            self.initial.update(
                conclusion=case.conclusion,
                corrective_action=case.corrective_action,
                internal_note=case.internal_note,
            )

    def add_service_errors(self, error: ValidationError) -> None:
        # The service lists the machine values of the choices; on the page the radio buttons show them.
        if (
            hasattr(error, "error_dict")
            and "conclusion" in error.error_dict
            and self.cleaned_data.get("conclusion") == ""
        ):
            error.error_dict["conclusion"] = [ValidationError(_("Choose the conclusion."))]
        super().add_service_errors(error)


class AnswerForm(CaseStepForm):
    action = "answer"
    title = _("Answer the business")
    submit_label = _("Send the answer")
    answer = _text(
        _("Answer to the business"),
        help_text=_("The business reads this text and is told by e-mail. The conclusion category is shown with it."),
        rows=6,
    )


class AcceptForm(CaseStepForm):
    action = "accept"
    title = _("Accept the answer")
    intro = _("If the answer settles your complaint, accept it: the case is closed.")
    submit_label = _("Accept the answer")


class DisputeForm(CaseStepForm):
    action = "dispute"
    title = _("Dispute the answer")
    intro = _("You may dispute the answer once. The case is then reviewed again, with the department.")
    submit_label = _("Dispute the answer")
    reason = _text(_("Why do you dispute the answer?"), help_text=_("Say what in the answer you do not agree with."))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; feedback.cases.services checks them (content, size, number)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return list(data)
        return [data] if data else []


def _files_help():
    return _("PDF, JPEG or PNG, at most %(count)s files of %(size)s MB each.") % {
        "count": settings.ATTACHMENTS_PER_MESSAGE,
        "size": f"{settings.ATTACHMENT_MAX_BYTES / 1_048_576:g}",
    }


class MessageForm(CaseStepForm):
    action = "message"
    title = _("Write a message")
    submit_label = _("Send the message")
    text = _text(_("Message"), rows=4)
    # Named like the services' and the API's field, so their messages land here; the form's own `files`
    # (the uploaded MultiValueDict) is an instance attribute the declared field does not touch.
    files = MultipleFileField(label=_("Attach files"), required=False)  # type: ignore[assignment]

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["files"].help_text = _files_help()


class NoteForm(MessageForm):
    action = "note"
    title = _("Add an internal note")
    intro = _("Read by customs only (the branch, the verifier, the department), never by the business.")
    submit_label = _("Add the note")
    text = _text(_("Internal note"), rows=3)


class HandlingRatingForm(CaseStepForm):
    action = "rate_handling"
    title = _("How was your complaint handled?")
    intro = _("Rate the handling of your complaint. Rating it 1 or 2 sends the case to the department.")
    submit_label = _("Send the rating")
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=Level.choices,
        widget=forms.RadioSelect,
    )
    comment = _text(_("Comment (optional)"), rows=3)


STEP_FORMS: dict[str, type[CaseStepForm]] = {
    form.action: form
    for form in (
        AssignForm,
        FindingsForm,
        ExplanationForm,
        ConcludeForm,
        AnswerForm,
        HandlingRatingForm,
        AcceptForm,
        DisputeForm,
        MessageForm,
        NoteForm,
    )
}
