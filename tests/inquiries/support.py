"""Helpers of the inquiry tests: ask as the cast's business, a tiny valid PDF."""

from django.core.files.uploadedfile import SimpleUploadedFile

from inquiries import services
from inquiries.choices import InquiryTopic

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "van-ban.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def ask(cast, *, user=None, declaration="101234567890", topic=InquiryTopic.PROCEDURE, **fields):
    """The cast's business X asks about its declaration dx (routed to branch A) unless told otherwise."""
    return services.ask_inquiry(
        user or cast.users.business,
        subject=fields.pop("subject", "Thủ tục tạm nhập tái xuất"),
        question=fields.pop("question", "Hồ sơ tạm nhập tái xuất cần những chứng từ nào?"),
        topic=topic,
        declaration_number=declaration,
        **fields,
    )


def answered(cast, **fields):
    inquiry = ask(cast, **fields)
    services.assign_inquiry(inquiry, cast.users.officer, cast.users.leader)
    return services.answer_inquiry(inquiry, "Doanh nghiệp nộp tờ khai và hợp đồng.", cast.users.officer)
