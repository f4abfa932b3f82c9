"""The declarations API: the scoped list, one declaration, and the clearance system's push (ingest).

The rating of a declaration (POST /declarations/{number}/rating/) is an action of the same viewset,
written in feedback.ratings.api.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from directory.parsers import BoundedJSONParser
from directory.permissions import IsIntegrationClient

from ..ratings.api import RatingActionMixin
from .filters import DeclarationFilterSet
from .selectors import declarations_for
from .serializers import DeclarationInSerializer, DeclarationSerializer, IngestErrorSerializer, IngestResultSerializer
from .services import DeclarationBatchError, ingest_declarations


@extend_schema_view(
    list=extend_schema(summary="Declarations the caller may see", tags=["declarations"]),
    retrieve=extend_schema(summary="One declaration by its 12-digit number", tags=["declarations"]),
)
class DeclarationViewSet(RatingActionMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilterSet
    lookup_field = "number"
    lookup_value_regex = r"[0-9]{12}"

    def get_queryset(self):
        # The rating action reads its declaration itself (feedback.ratings.services.load_rating_target).
        return declarations_for(self.request.user)

    def get_parsers(self):
        # The push is JSON only (one object or a list): a form or multipart body is 415, not a parse error.
        # The parsers are chosen before DRF sets self.action (the schema generator sets it first).
        action = getattr(self, "action", None)
        if action is None and getattr(self, "request", None) is not None:
            action = getattr(self, "action_map", {}).get(self.request.method.lower())
        if action == "create":
            return [BoundedJSONParser()]
        return super().get_parsers()

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsIntegrationClient()]
        return super().get_permissions()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A token client is known only now, after the locale middleware ran: answer in its user's language.
        if request.user.is_authenticated and request.user.language:
            translation.activate(request.user.language)

    @extend_schema(
        summary="Push declarations from the clearance system (idempotent upsert by number)",
        description=(
            "One declaration object or a list of up to DECLARATION_BATCH_MAX (1,000). Sending the same "
            "declaration again changes nothing; a changed one is updated and audited. All or nothing. The stage "
            "times (received_at, document_check_done_at, inspection_done_at) are optional; when given they must "
            "run in order: received <= registered <= document check <= inspection <= cleared."
        ),
        request=DeclarationInSerializer(many=True),
        responses={
            201: OpenApiResponse(IngestResultSerializer, description="Something was created or updated"),
            200: OpenApiResponse(IngestResultSerializer, description="Nothing new"),
            400: OpenApiResponse(IngestErrorSerializer, description="Invalid items; nothing written"),
        },
        tags=["declarations"],
    )
    def create(self, request):
        items = request.data if isinstance(request.data, list) else [request.data]
        limit = settings.DECLARATION_BATCH_MAX
        if len(items) > limit:
            message = _("At most %(limit)s declarations per request.") % {"limit": limit}
            return Response({"errors": {"non_field_errors": [message]}}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = ingest_declarations(items, actor=request.user)
        except DeclarationBatchError as exc:
            return Response({"errors": exc.errors.by_item}, status=status.HTTP_400_BAD_REQUEST)
        body = IngestResultSerializer(result).data
        changed = result.created or result.updated
        return Response(body, status=status.HTTP_201_CREATED if changed else status.HTTP_200_OK)
