"""Admin of surveys for portal administrators only (questionnaire fixes, survey-administrator grants).

Department staff run campaigns from the survey pages, not here. Invitations, responses and answers
are deliberately not registered: the admin would show the business beside its answers.
"""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from directory.admin_base import ScopedAdmin, is_admin_user

from .models import Campaign, ComponentIndex, Question, SurveyAdministrator
from .selectors import is_department_staff
from .services.access import grant_survey_administrator, revoke_survey_administrator


class AdministratorsOnlyAdmin(ScopedAdmin):
    def get_queryset(self, request):
        queryset = super(ScopedAdmin, self).get_queryset(request)
        return queryset if is_admin_user(request.user) else queryset.none()

    def has_module_permission(self, request) -> bool:
        return is_admin_user(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_admin_user(request.user)


class ComponentIndexInline(admin.TabularInline):
    model = ComponentIndex
    extra = 0
    fields = ["position", "code", "name_vi", "name_en", "weight"]


@admin.register(Campaign)
class CampaignAdmin(AdministratorsOnlyAdmin):
    list_display = ["title", "department", "year", "status", "open_on", "close_on"]
    list_filter = ["department", "status", "year"]
    search_fields = ["title", "year"]
    readonly_fields = ["status", "created_at"]
    filter_horizontal = ["units"]
    inlines = [ComponentIndexInline]


@admin.register(Question)
class QuestionAdmin(AdministratorsOnlyAdmin):
    list_display = ["code", "campaign", "component", "kind", "direction", "required"]
    list_filter = ["campaign", "kind", "direction", "required"]
    search_fields = ["code", "text_vi", "text_en"]
    list_select_related = ["campaign", "component"]


class SurveyAdministratorForm(forms.ModelForm):
    class Meta:
        model = SurveyAdministrator
        fields = ["department", "user"]

    def clean(self):
        data = super().clean()
        user, department = data.get("user"), data.get("department")
        if user and department and (user.is_administrator or not is_department_staff(user, department.pk)):
            raise forms.ValidationError(_("A survey administrator must be staff of the department."))
        return data


@admin.register(SurveyAdministrator)
class SurveyAdministratorAdmin(AdministratorsOnlyAdmin):
    form = SurveyAdministratorForm
    list_display = ["user", "department", "granted_at"]
    list_filter = ["department"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    fields = ["department", "user"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        # Through the service: it checks the user is staff of the department and writes the audit row.
        grant = grant_survey_administrator(obj.user, obj.department, actor=request.user)
        obj.pk = grant.pk

    def delete_model(self, request, obj):
        revoke_survey_administrator(obj.user, obj.department, actor=request.user)

    def delete_queryset(self, request, queryset):
        for grant in queryset.select_related("user", "department"):
            self.delete_model(request, grant)
