"""The dissatisfaction cases API: the scoped inbox, one case, and a POST per workflow step.

A case outside the caller's scope is 404, like one that does not exist; a case in scope whose step
the caller may not take is 403 (the service decides); a step the case's state does not allow is 409.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.uploads import attachment_response
from directory.choices import Role
from directory.models import User
from directory.pagination import PortalPagination

from ..models import CaseAttachment, DissatisfactionCase
from . import rules, services
from .filters import CaseFilterSet
from .selectors import attachment_for, case_detail_for, cases_for, messages_of
from .serializers import (
    AssignInSerializer,
    BusinessCaseDetailSerializer,
    BusinessCaseSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    ConcludeInSerializer,
    DisputeInSerializer,
    EmptySerializer,
    HandlingRatingInSerializer,
    MessageInSerializer,
    MessagePageSerializer,
    MessageSerializer,
    OfficerCaseDetailSerializer,
    OfficerCaseSerializer,
    TextInSerializer,
    serializer_class_for,
)

SCOPE_NOTE = (
    "Scoped like the inbox: a branch leader sees the cases of their branch, a team leader those assigned "
    "to them, an officer those in which they were rated 1 or 2, department staff their department "
    "(escalated first), a business its own cases with public fields only (status, conclusion once answered, "
    "answer; never findings, internal notes or officers' explanations)."
)


def _field_errors(exc: DjangoValidationError) -> dict:
    """A service's ValidationError as DRF's body: field -> messages (non_field_errors for the rest)."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    errors = exc.message_dict
    if NON_FIELD_ERRORS in errors:
        errors["non_field_errors"] = errors.pop(NON_FIELD_ERRORS)
    return errors


def _one_of(name: str, *, detail: bool, many: bool = False) -> PolymorphicProxySerializer:
    """The response is one of three representations, by the caller's role (feedback.cases.serializers)."""
    if detail:
        choices = [CaseDetailSerializer, OfficerCaseDetailSerializer, BusinessCaseDetailSerializer]
    else:
        choices = [CaseSerializer, OfficerCaseSerializer, BusinessCaseSerializer]
    return PolymorphicProxySerializer(
        component_name=name, serializers=choices, resource_type_field_name=None, many=many
    )


def _action_responses(description: str):
    return {
        200: OpenApiResponse(_one_of("CaseWithTrail", detail=True), description=description),
        400: OpenApiResponse(description="Field -> messages"),
        403: OpenApiResponse(description="The case is visible to the caller, but this step is not theirs"),
        404: OpenApiResponse(description="No such case in the caller's scope"),
        409: OpenApiResponse(description="The case is not in a state for this step"),
    }


@extend_schema_view(
    list=extend_schema(
        summary="Dissatisfaction cases the caller may see (the inbox)",
        description=SCOPE_NOTE,
        responses={200: _one_of("CaseInList", detail=False, many=True)},
        tags=["cases"],
    ),
    retrieve=extend_schema(
        summary="One dissatisfaction case, with its trail",
        description=SCOPE_NOTE,
        responses={
            200: OpenApiResponse(_one_of("CaseWithTrail", detail=True), description="As in the list, with the trail"),
            404: OpenApiResponse(description="No such case in the caller's scope"),
        },
        tags=["cases"],
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = CaseFilterSet
    serializer_class = CaseSerializer
    queryset = DissatisfactionCase.objects.none()  # for the schema; get_queryset scopes every request

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A token client is known only after the locale middleware ran: answer in its user's language.
        if request.user.is_authenticated and request.user.language:
            translation.activate(request.user.language)

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False):
            return DissatisfactionCase.objects.none()
        if self.action == "list":
            queryset = cases_for(user)
            if user.role == Role.OFFICER:
                queryset = queryset.prefetch_related("explanations")
            if user.role == Role.BUSINESS:  # the next step depends on the rating of the answer
                queryset = queryset.prefetch_related("handling_ratings")
            return queryset
        if self.action in ("retrieve", "rate_handling"):
            return case_detail_for(user)
        # Workflow steps need only the scoped row: the service locks and reads what it checks itself.
        return DissatisfactionCase.objects.for_user(user)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return CaseSerializer
        return serializer_class_for(self.request.user, detail=self.action != "list")

    def _step(self, request, run, body_class=None):
        case = self.get_object()
        values = {}
        if body_class is not None:
            body = body_class(data=request.data)
            body.is_valid(raise_exception=True)
            values = body.validated_data
        try:
            run(case, values)
        except services.InvalidTransition as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_field_errors(exc)) from exc
        # PermissionDenied from a service becomes 403 in DRF's exception handler.
        fresh = case_detail_for(request.user).get(pk=case.pk)
        serializer = serializer_class_for(request.user, detail=True)(fresh, context=self.get_serializer_context())
        return Response(serializer.data)

    @extend_schema(
        summary="Assign a verifier (a team leader or leader of the case's branch)",
        description="The branch leader, department staff or an administrator; until the case is concluded.",
        request=AssignInSerializer,
        responses=_action_responses("The case, now assigned"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        def run(case, values):
            verifier = User.objects.filter(pk=values["verifier"]).first()
            if verifier is None:
                raise DjangoValidationError({"verifier": [_("No such user.")]})
            services.assign(case, verifier, request.user)

        return self._step(request, run, AssignInSerializer)

    @extend_schema(
        summary="Record the verification findings",
        description="The assigned verifier or the branch leader; the case moves to verifying.",
        request=TextInSerializer,
        responses=_action_responses("The case, verifying"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        return self._step(
            request, lambda case, v: services.record_findings(case, v["text"], request.user), TextInSerializer
        )

    @extend_schema(
        summary="Add the rated officer's explanation (leaders only will read it)",
        description="Only an officer rated 1 or 2 in the case, once, before the case is concluded.",
        request=TextInSerializer,
        responses=_action_responses("The case as the officer sees it"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def explanation(self, request, pk=None):
        return self._step(
            request,
            lambda case, v: services.add_officer_explanation(case, v["text"], request.user),
            TextInSerializer,
        )

    @extend_schema(
        summary="Conclude: substantiated, partly or not substantiated",
        description=(
            "The branch leader (department staff once the case is escalated). A corrective action is required "
            "when the complaint is (partly) substantiated; the internal note never reaches the business."
        ),
        request=ConcludeInSerializer,
        responses=_action_responses("The case, concluded"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        def run(case, values):
            services.conclude(
                case, values["conclusion"], values["corrective_action"], values["internal_note"], request.user
            )

        return self._step(request, run, ConcludeInSerializer)

    @extend_schema(
        summary="Answer the business (required text); the business is told by e-mail",
        request=TextInSerializer,
        responses=_action_responses("The case, answered"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        return self._step(request, lambda case, v: services.answer(case, v["text"], request.user), TextInSerializer)

    @extend_schema(
        summary="The business accepts the answer; the case closes",
        request=EmptySerializer,
        responses=_action_responses("The case, closed"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._step(request, lambda case, v: services.accept(case, request.user))

    @extend_schema(
        summary="The business disputes the answer (once, within 7 days); the case reopens and escalates",
        request=DisputeInSerializer,
        responses=_action_responses("The case, verifying again"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        return self._step(
            request, lambda case, v: services.dispute(case, v["reason"], request.user), DisputeInSerializer
        )

    @extend_schema(
        summary="The business rates how its complaint was handled (once per answer)",
        description=(
            "After an answer, the business rates the handling on the five levels, with an optional comment. "
            "A level 1 or 2 sends the case to the department: within the dispute period it is the dispute "
            "(the case reopens with a new due date, `next_due_at`), afterwards the case escalates."
        ),
        request=HandlingRatingInSerializer,
        responses=_action_responses("The case, with the rating (and, when 1 or 2, its next step)"),
        tags=["cases"],
    )
    @action(detail=True, methods=["post"], url_path="rate-handling")
    def rate_handling(self, request, pk=None):
        return self._step(
            request,
            lambda case, v: services.rate_handling(case, v["level"], v["comment"], request.user),
            HandlingRatingInSerializer,
        )

    @extend_schema(
        methods=["GET"],
        summary="The conversation of a case: messages (and, for customs, internal notes), oldest first",
        description=(
            "The business reads the messages; customs also their internal notes; a rated officer takes no part "
            "(403). Each message lists its files with the address that downloads them."
        ),
        parameters=[OpenApiParameter("page", int, description="Page number (50 messages a page)")],
        responses={
            200: MessagePageSerializer,
            400: OpenApiResponse(description="A page that is not a number"),
            403: OpenApiResponse(description="Not part of the conversation"),
            404: OpenApiResponse(description="No such case in the caller's scope, or a page past the end"),
        },
        tags=["cases"],
    )
    @extend_schema(
        methods=["POST"],
        summary="Write a message (multipart/form-data with `files` to attach PDF, JPEG or PNG files)",
        description=(
            "The business, or customs' side (the branch's leader, the verifier, the department once escalated); "
            "`internal` makes it a note the business never sees. A closed case takes no messages (409). A bad "
            "file answers 400 naming `files`, and nothing is kept."
        ),
        request={"multipart/form-data": MessageInSerializer, "application/json": MessageInSerializer},
        responses={
            201: MessageSerializer,
            400: OpenApiResponse(description="Field -> messages (`text`, `files`)"),
            403: OpenApiResponse(description="The case is visible to the caller, but not the conversation"),
            404: OpenApiResponse(description="No such case in the caller's scope"),
            409: OpenApiResponse(description="The case is closed"),
        },
        tags=["cases"],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=PortalPagination)
    def messages(self, request, pk=None):
        case = self.get_object()
        if not rules.may_read_conversation(request.user):
            raise PermissionDenied(_("A rated officer takes no part in the conversation with the business."))
        if request.method == "GET":
            page = self.paginate_queryset(messages_of(case, request.user))
            data = MessageSerializer(page, many=True, context=self.get_serializer_context()).data
            return self.get_paginated_response(data)
        body = MessageInSerializer(
            data={key: request.data.get(key) for key in ("text", "internal") if key in request.data}
        )
        body.is_valid(raise_exception=True)
        files = request.FILES.getlist("files")
        try:
            event = services.send_message(
                case, body.validated_data["text"], files, request.user, internal=body.validated_data["internal"]
            )
        except services.InvalidTransition as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_field_errors(exc)) from exc
        fresh = messages_of(case, request.user).get(pk=event.pk)
        return Response(
            MessageSerializer(fresh, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Download a file attached to a message of the case",
        description="Only for users who may see the case and the message (a note's files: customs only).",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file, under its original name"),
            404: OpenApiResponse(description="No such file in the caller's scope"),
        },
        tags=["cases"],
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)", url_name="attachment")
    def attachment(self, request, pk=None, attachment_id=None):
        try:
            attachment = attachment_for(request.user, int(pk), int(attachment_id))
        except (CaseAttachment.DoesNotExist, ValueError, TypeError):
            raise Http404 from None
        return attachment_response(attachment)
