"""Forms of the inquiry and conference pages. They only read the input: inquiries.services decides what
is valid and who may do it; its ValidationError messages are put back on these fields (the field names are
the keys the services use)."""

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from directory.models import Branch, Business, Department

from . import rules
from .choices import ConferenceFormat, ConferenceLevel, InquiryTopic
from .services import SUBJECT_MAX_LENGTH, TEXT_MAX_LENGTH

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from directory.models import User


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once; core.uploads checks them in the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"})
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault("help_text", _("PDF, JPEG or PNG files."))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return list(data)
        return [data] if data else []


def _text(label, *, rows=5, max_length=TEXT_MAX_LENGTH, help_text=""):
    # Not required here: an empty text reaches the service, whose message says what is missing.
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": max_length}),
    )


class ServiceErrorsForm(forms.Form):
    def add_service_errors(self, error: ValidationError) -> None:
        """Put the service's messages next to the fields they name; the others above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            known = field in self.fields and field != NON_FIELD_ERRORS
            self.add_error(field if known else None, messages)


class AskForm(ServiceErrorsForm):
    business = forms.ModelChoiceField(queryset=Business.objects.none(), required=False, label=_("Business"))
    topic = forms.ChoiceField(choices=InquiryTopic.choices, label=_("Topic"))
    declaration = forms.CharField(
        label=_("Declaration number (optional)"),
        required=False,
        max_length=12,
        help_text=_("A question about one of your declarations goes to the branch that handled it."),
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=SUBJECT_MAX_LENGTH)
    question = _text(_("Your question"), rows=8)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), required=False, label=_("Department"))
    attachments = AttachmentsField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        businesses = Business.objects.filter(memberships__user=user).order_by("name")
        self.fields["business"].queryset = businesses
        if businesses.count() <= 1:
            del self.fields["business"]
        departments = Department.objects.order_by("name")
        self.fields["department"].queryset = departments
        if departments.count() <= 1:
            del self.fields["department"]


class StepForm(ServiceErrorsForm):
    """Base of the step forms of the inquiry page: `action` names the step and the URL it posts to."""

    action = ""
    title: "StrOrPromise" = ""
    submit_label: "StrOrPromise" = ""

    def __init__(self, *args, inquiry, **kwargs):
        self.inquiry = inquiry
        super().__init__(*args, **kwargs)


class AssignForm(StepForm):
    action = "assign"
    title = _("Assign the inquiry")
    submit_label = _("Assign")
    assignee: "forms.ModelChoiceField[User]" = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Officer who answers")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = rules.eligible_assignees(self.inquiry)
        self.fields["assignee"].label_from_instance = lambda user: (
            f"{user.get_full_name() or user.username} ({user.get_role_display()})"
        )


class AnswerForm(StepForm):
    action = "answer"
    title = _("Answer in writing")
    submit_label = _("Send the answer")
    answer = _text(_("Answer to the business"), rows=8)
    attachments = AttachmentsField()


class FollowUpForm(StepForm):
    action = "follow-up"
    title = _("Ask a follow-up question")
    submit_label = _("Send the question")
    question = _text(_("Your follow-up question"))
    attachments = AttachmentsField()


class RateForm(StepForm):
    action = "rate"
    title = _("Rate the answer")
    submit_label = _("Send the rating")
    level = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer?"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        choices=[
            (5, _("Very satisfied")),
            (4, _("Satisfied")),
            (3, _("Normal")),
            (2, _("Dissatisfied")),
            (1, _("Very dissatisfied")),
        ],
    )
    comment = _text(_("Comment (optional)"), rows=3)


class PublishForm(StepForm):
    action = "publish"
    title = _("Publish in the FAQ")
    submit_label = _("Publish")
    topic = forms.ChoiceField(choices=InquiryTopic.choices, label=_("Topic"))
    question = _text(
        _("Question as published"), help_text=_("Remove the business's name, tax code, declaration numbers.")
    )
    answer = _text(_("Answer as published"), rows=8)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        inquiry = self.inquiry
        entry = getattr(inquiry, "faq_entry", None)
        if entry is not None:
            self.initial.update(topic=entry.topic, question=entry.question, answer=entry.answer)
        else:
            exchanges = list(inquiry.exchanges.all())
            answered = [exchange for exchange in exchanges if exchange.answer]
            self.initial.update(
                topic=inquiry.topic,
                question=exchanges[0].question if exchanges else "",
                answer=answered[-1].answer if answered else "",
            )


class WithdrawForm(StepForm):
    action = "withdraw"
    title = _("Withdraw from the FAQ")
    submit_label = _("Withdraw")


STEP_FORMS: dict[str, type[StepForm]] = {
    form.action: form for form in (AssignForm, AnswerForm, FollowUpForm, RateForm, PublishForm, WithdrawForm)
}


class ConferenceForm(ServiceErrorsForm):
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    held_on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    level = forms.ChoiceField(choices=ConferenceLevel.choices, label=_("Level"))
    format = forms.ChoiceField(choices=ConferenceFormat.choices, label=_("Format"))
    branch = forms.ModelChoiceField(queryset=Branch.objects.none(), required=False, label=_("Branch"))
    businesses = forms.ModelMultipleChoiceField(
        queryset=Business.objects.none(), required=False, label=_("Businesses present")
    )
    notes = _text(_("Notes"), rows=3)

    def __init__(self, *args, department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.filter(department=department)
        self.fields["businesses"].queryset = Business.objects.order_by("name")


class ProblemForm(ServiceErrorsForm):
    inquiry = forms.IntegerField(label=_("Existing inquiry number"), required=False, min_value=1)
    business = forms.ModelChoiceField(queryset=Business.objects.none(), required=False, label=_("Business"))
    topic = forms.ChoiceField(choices=InquiryTopic.choices, label=_("Topic"), required=False)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=SUBJECT_MAX_LENGTH)
    question = _text(_("Problem raised"), rows=4)

    def __init__(self, *args, conference, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business"].queryset = conference.businesses.order_by("name")


class ResolveForm(ServiceErrorsForm):
    resolution = _text(_("How it was solved"), rows=3)
