"""The inquiries API: a business's software asks (POST, 201) and reads its inquiries; customs users read the
inquiries in their scope. An inquiry outside the caller's scope is 404, like one that does not exist."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from directory.models import Business
from directory.permissions import IsDeclarantUser

from . import services
from .choices import InquiryChannel
from .filters import InquiryFilterSet
from .models import Inquiry
from .selectors import inquiry_detail_for
from .serializers import InquiryInSerializer, InquirySerializer


def _field_errors(exc: DjangoValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": exc.messages}
    errors = exc.message_dict
    if NON_FIELD_ERRORS in errors:
        errors["non_field_errors"] = errors.pop(NON_FIELD_ERRORS)
    return errors


@extend_schema_view(
    list=extend_schema(summary="Inquiries the caller may see", tags=["inquiries"]),
    retrieve=extend_schema(summary="One inquiry with its questions and answers", tags=["inquiries"]),
)
class InquiryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = InquirySerializer
    filterset_class = InquiryFilterSet
    queryset = Inquiry.objects.none()  # for the schema; get_queryset scopes every request

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Inquiry.objects.none()
        return inquiry_detail_for(self.request.user)

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsDeclarantUser()]
        return super().get_permissions()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.user.is_authenticated and request.user.language:
            translation.activate(request.user.language)

    @extend_schema(
        summary="Ask a question (a business user's software)",
        description=(
            "Routed to the branch of `declaration` (one of the business's own; another business's number is "
            "not found), or to the department for policy questions. Answered in writing within the department's "
            "charter commitment (5 working days). Files may be sent as multipart `attachments` (PDF, JPEG, PNG)."
        ),
        request=InquiryInSerializer,
        responses={
            201: OpenApiResponse(InquirySerializer, description="The inquiry, with its due date"),
            400: OpenApiResponse(description="Field -> messages; nothing written"),
            403: OpenApiResponse(description="Not a business user"),
        },
        tags=["inquiries"],
    )
    def create(self, request):
        body = InquiryInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        business = None
        if data.get("business"):
            business = Business.objects.filter(tax_code=data["business"].strip()).first()
            if business is None:
                raise serializers.ValidationError({"business": [_("You do not act for this business.")]})
        try:
            inquiry = services.ask_inquiry(
                request.user,
                subject=data["subject"],
                question=data["question"],
                topic=data["topic"],
                declaration_number=data.get("declaration") or None,
                business=business,
                uploads=request.FILES.getlist("attachments") if request.FILES else (),
                channel=InquiryChannel.API,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_field_errors(exc)) from exc
        fresh = inquiry_detail_for(request.user).get(pk=inquiry.pk)
        return Response(InquirySerializer(fresh).data, status=status.HTTP_201_CREATED)
