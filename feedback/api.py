from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from directory.permissions import IsBusinessUser, IsIntegrationClient

from .choices import SubmissionChannel
from .filters import DeclarationFilterSet
from .models import Declaration
from .rating_services import AlreadyRated, load_rating_target, submit_target_rating
from .selectors import declarations_for
from .serializers import (
    DeclarationInSerializer,
    DeclarationSerializer,
    IngestErrorSerializer,
    IngestResultSerializer,
    RatingInSerializer,
    RatingSerializer,
    plain_rating_body,
    rating_answer,
)
from .services import DeclarationBatchError, ingest_declarations


@extend_schema_view(
    list=extend_schema(summary="Declarations the caller may see", tags=["declarations"]),
    retrieve=extend_schema(summary="One declaration by its 12-digit number", tags=["declarations"]),
)
class DeclarationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilterSet
    lookup_field = "number"
    lookup_value_regex = r"\d{12}"

    def get_queryset(self):
        # The rating action reads its declaration itself (feedback.rating_services.load_rating_target).
        return declarations_for(self.request.user)

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
            "declaration again changes nothing; a changed one is updated and audited. All or nothing."
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

    @extend_schema(
        summary="Rate a cleared declaration (once)",
        description=(
            "Only a user acting for the declaration's business (or an administrator) rates, within "
            "RATING_WINDOW_DAYS (30) days after clearance. branch_level is required; team_level and officers "
            "are optional, and every officer given must have handled the declaration. Reasons go only with "
            "level 1 or 2. Customs roles get 403 whatever the number; a number outside the caller's "
            "businesses is 404, like one that does not exist."
        ),
        request=RatingInSerializer,
        responses={
            201: OpenApiResponse(RatingSerializer, description="The stored rating"),
            400: OpenApiResponse(description='Field -> messages, e.g. {"officers[0].code": ["..."]}'),
            403: OpenApiResponse(description="The caller's role cannot rate"),
            404: OpenApiResponse(description="No such declaration among the caller's businesses"),
            409: OpenApiResponse(description="The declaration is already rated"),
        },
        tags=["ratings"],
    )
    # The action reads and answers for itself (bench/rating_api.py, docs/performance-ratings.md): no
    # get_object() (and so no filter backends), one scoped query that also brings the officers and the
    # existing rating, a plain body check that falls back to RatingInSerializer, and an answer built from
    # what was inserted, shaped as RatingSerializer. JSON only: the browsable API is for GETs.
    @action(
        detail=True,
        methods=["post"],
        url_path="rating",
        permission_classes=[IsAuthenticated, IsBusinessUser],
        filter_backends=[],
        renderer_classes=[JSONRenderer],
    )
    def rating(self, request, number=None):
        try:
            target = load_rating_target(request.user, number)
        except Declaration.DoesNotExist:
            # As get_object() answered: the same 404 for a number that does not exist and one outside the scope.
            raise Http404(f"No {Declaration._meta.object_name} matches the given query.")
        fields = plain_rating_body(request.data)
        if fields is None:
            body = RatingInSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            fields = body.validated_data
        try:
            stored = submit_target_rating(target, request.user, channel=SubmissionChannel.API, **fields)
        except AlreadyRated:
            return Response({"detail": _("This declaration has already been rated.")}, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            errors = exc.message_dict
            if NON_FIELD_ERRORS in errors:
                errors["non_field_errors"] = errors.pop(NON_FIELD_ERRORS)
            raise serializers.ValidationError(errors)
        return Response(rating_answer(stored.rating, stored.officers), status=status.HTTP_201_CREATED)
