"""The rating actions of the declarations API: POST /declarations/{number}/rating/ and
POST /declarations/{number}/rating-link/ (a one-click link for the declaration software).

A mixin of feedback.declarations.api.DeclarationViewSet, so the URL, its name and the OpenAPI
operation stay those of the declaration it rates.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from directory.permissions import IsBusinessUser, IsDeclarantUser

from ..choices import SubmissionChannel
from ..models import Declaration
from .links import issue_link
from .serializers import RatingInSerializer, RatingLinkSerializer, RatingSerializer, plain_rating_body, rating_answer
from .services import AlreadyRated, load_rating_target, submit_target_rating
from .window import rating_window


class RatingActionMixin:
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

    @extend_schema(
        summary="A one-click rating link for a cleared declaration",
        description=(
            "For the declaration software of the business that made the declaration: answers the address of "
            "a page where the declaration can be rated once, without a password, until expires_at "
            "(RATING_LINK_DAYS, 7, and never past the rating window). Only business users' tokens; "
            "administrators and customs roles get 403. Each call makes a new link; an unused one simply expires."
        ),
        request=None,
        responses={
            201: OpenApiResponse(RatingLinkSerializer, description="The link"),
            400: OpenApiResponse(
                description='Not rateable now, e.g. {"declaration": ["This declaration has not been cleared yet; ..."]}'
            ),
            403: OpenApiResponse(description="The caller is not a business user"),
            404: OpenApiResponse(description="No such declaration among the caller's businesses"),
            409: OpenApiResponse(description="The declaration is already rated"),
        },
        tags=["ratings"],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="rating-link",
        permission_classes=[IsAuthenticated, IsDeclarantUser],
        filter_backends=[],
        renderer_classes=[JSONRenderer],
    )
    def rating_link(self, request, number=None):
        declaration = Declaration.objects.for_user(request.user).filter(number=number).select_related("rating").first()
        if declaration is None:
            raise Http404(f"No {Declaration._meta.object_name} matches the given query.")
        if getattr(declaration, "rating", None) is not None:
            return Response({"detail": _("This declaration has already been rated.")}, status=status.HTTP_409_CONFLICT)
        window = rating_window(declaration)
        if not window.is_open:
            return Response({"declaration": [window.refusal()]}, status=status.HTTP_400_BAD_REQUEST)
        issued = issue_link(declaration, request.user, via="api")
        answer = RatingLinkSerializer({"url": issued.url, "expires_at": issued.link.expires_at}).data
        return Response(answer, status=status.HTTP_201_CREATED)
