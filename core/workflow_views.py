"""The POST of one workflow step (a case's, an inquiry's), shared by the apps that have workflows.

The service decides; its refusals come back on the object's page with the form: 400 for input the form or
the service finds wrong, 409 for a step the object's state refuses (`invalid_transition`), 403 when the
service raises PermissionDenied. A subclass names its forms, its success messages, how it loads and
renders its object, and which service each step calls.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views import View


class WorkflowStepView(LoginRequiredMixin, View):
    step_forms: dict  # action -> form class, built with `form_object`=the object
    step_done: dict  # action -> callable giving the translated success message
    form_object: str  # the forms' keyword for the object ("case", "inquiry")
    invalid_transition: type[ValidationError]  # the service's refusal of a step in the object's state
    detail_url_name: str  # where a done step returns to

    def get_object(self, request, pk: int):
        raise NotImplementedError

    def render(self, request, obj, *, bound_form, status: int):
        raise NotImplementedError

    def run(self, action: str, obj, data: dict, user) -> None:
        raise NotImplementedError

    def post(self, request, pk: int, action: str):
        form_class = self.step_forms.get(action)
        if form_class is None:
            raise Http404
        obj = self.get_object(request, pk)
        form = form_class(request.POST, request.FILES, **{self.form_object: obj})
        if not form.is_valid():
            return self.render(request, obj, bound_form=form, status=400)
        try:
            self.run(action, obj, form.cleaned_data, request.user)
        except self.invalid_transition as error:
            form.add_service_errors(error)
            return self.render(request, self.get_object(request, pk), bound_form=form, status=409)
        except ValidationError as error:
            form.add_service_errors(error)
            return self.render(request, self.get_object(request, pk), bound_form=form, status=400)
        messages.success(request, self.step_done[action]())
        return redirect(self.detail_url_name, pk=pk)
