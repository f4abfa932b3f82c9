"""The default CDCI questionnaire: the 8 component indexes of the provincial DDCI (which CDCI follows),
equal weights, and five questions under each, in Vietnamese and English.

Plain data, no Django import: services.create_campaign copies it into a new campaign when there is no
earlier questionnaire to copy. Kinds: agreement_5, yes_no, number (with the range its CDCI score is
standardised on, `scale`), single_choice; directions:
positive (more is better) or negative (less is better: hours, informal charges).
"""

from decimal import Decimal
from typing import Any

AGREE = "agreement_5"
YES_NO = "yes_no"
NUMBER = "number"
CHOICE = "single_choice"
POS = "positive"
NEG = "negative"

HOURS = ("giờ", "hours")
DAYS = ("ngày", "days")
TIMES = ("lần", "times")


def _q(code, kind, text_vi, text_en, *, direction=POS, required=True, unit=("", ""), choices=(), scale=(None, None)):
    return {
        "scale_min": None if scale[0] is None else Decimal(scale[0]),
        "scale_max": None if scale[1] is None else Decimal(scale[1]),
        "code": code,
        "kind": kind,
        "text_vi": text_vi,
        "text_en": text_en,
        "direction": direction,
        "required": required,
        "unit_label_vi": unit[0],
        "unit_label_en": unit[1],
        "choices": [
            {"value": value, "label_vi": label_vi, "label_en": label_en, "score": score}
            for value, label_vi, label_en, score in choices
        ],
    }


_FREQUENCY = [
    ("never", "Không bao giờ", "Never", 0),
    ("rarely", "Hiếm khi", "Rarely", 1),
    ("sometimes", "Thỉnh thoảng", "Sometimes", 2),
    ("often", "Thường xuyên", "Often", 3),
]

COMPONENTS: list[dict[str, Any]] = [
    {
        "code": "C1",
        "name_vi": "Tính minh bạch và tiếp cận thông tin",
        "name_en": "Transparency and access to information",
        "questions": [
            _q(
                "C1.1",
                AGREE,
                "Các thủ tục hải quan được niêm yết công khai, đầy đủ và dễ hiểu.",
                "Customs procedures are published in full and are easy to understand.",
            ),
            _q(
                "C1.2",
                AGREE,
                "Doanh nghiệp dễ dàng tiếp cận các văn bản, chính sách mới về hải quan.",
                "New customs regulations and policies are easy for businesses to obtain.",
            ),
            _q(
                "C1.3",
                YES_NO,
                "Trang thông tin điện tử của đơn vị có đăng tải đầy đủ thông tin doanh nghiệp cần.",
                "The unit's website publishes the information businesses need.",
            ),
            _q(
                "C1.4",
                CHOICE,
                "Doanh nghiệp thường nhận thông tin về thay đổi thủ tục qua kênh nào?",
                "Through which channel do you usually learn of changes in procedures?",
                choices=[
                    ("direct", "Đơn vị hải quan thông báo trực tiếp", "Told directly by the customs unit", 3),
                    ("website", "Trang thông tin điện tử, cổng dịch vụ công", "Website or public service portal", 2),
                    ("peers", "Doanh nghiệp khác, đại lý hải quan", "Other businesses or customs brokers", 1),
                    ("none", "Không được thông báo", "Not informed", 0),
                ],
            ),
            _q(
                "C1.5",
                AGREE,
                "Kết quả giải quyết hồ sơ được thông báo rõ ràng, kịp thời.",
                "The outcome of a file is communicated clearly and promptly.",
            ),
        ],
    },
    {
        "code": "C2",
        "name_vi": "Tính năng động và tiên phong",
        "name_en": "Dynamism and pioneering",
        "questions": [
            _q(
                "C2.1",
                AGREE,
                "Đơn vị chủ động đề xuất giải pháp tháo gỡ vướng mắc cho doanh nghiệp.",
                "The unit proposes solutions to businesses' problems on its own initiative.",
            ),
            _q(
                "C2.2",
                AGREE,
                "Đơn vị linh hoạt trong khuôn khổ pháp luật để hỗ trợ doanh nghiệp.",
                "The unit is flexible within the law to help businesses.",
            ),
            _q(
                "C2.3",
                AGREE,
                "Đơn vị ứng dụng công nghệ thông tin hiệu quả trong thủ tục hải quan.",
                "The unit uses information technology effectively in customs procedures.",
            ),
            _q(
                "C2.4",
                YES_NO,
                "Trong năm, doanh nghiệp được mời đối thoại hoặc góp ý về cải cách thủ tục.",
                "During the year, you were invited to a dialogue or consultation on procedural reform.",
            ),
            _q(
                "C2.5",
                AGREE,
                "Các sáng kiến cải cách của đơn vị mang lại lợi ích thực tế cho doanh nghiệp.",
                "The unit's reform initiatives bring real benefits to businesses.",
            ),
        ],
    },
    {
        "code": "C3",
        "name_vi": "Chi phí thời gian",
        "name_en": "Time cost of procedures",
        "questions": [
            _q(
                "C3.1",
                NUMBER,
                "Số giờ trung bình để hoàn thành thủ tục thông quan một lô hàng.",
                "Average number of hours to complete the clearance of one consignment.",
                direction=NEG,
                unit=HOURS,
                scale=("0", "48"),
            ),
            _q(
                "C3.2",
                NUMBER,
                "Số lần trung bình doanh nghiệp phải đi lại đơn vị hải quan để hoàn thành một bộ hồ sơ.",
                "Average number of visits to the customs unit needed to complete one file.",
                direction=NEG,
                unit=TIMES,
                scale=("0", "10"),
            ),
            _q(
                "C3.3",
                AGREE,
                "Thời gian xử lý hồ sơ đúng như quy định hoặc cam kết của đơn vị.",
                "Files are processed within the time set by the rules or promised by the unit.",
            ),
            _q(
                "C3.4",
                CHOICE,
                "Thời gian chờ kiểm tra thực tế hàng hóa (luồng đỏ) thường là bao lâu?",
                "How long do you usually wait for a physical inspection (red channel)?",
                required=False,
                choices=[
                    ("lt2h", "Dưới 2 giờ", "Under 2 hours", 3),
                    ("2to8h", "Từ 2 đến 8 giờ", "2 to 8 hours", 2),
                    ("1day", "Từ 8 giờ đến 1 ngày", "8 hours to 1 day", 1),
                    ("gt1day", "Trên 1 ngày", "More than 1 day", 0),
                ],
            ),
            _q(
                "C3.5",
                NUMBER,
                "Số ngày làm việc để được giải quyết một hồ sơ miễn, giảm, hoàn thuế.",
                "Working days to obtain a decision on a tax exemption, reduction or refund file.",
                direction=NEG,
                required=False,
                unit=DAYS,
                scale=("0", "30"),
            ),
        ],
    },
    {
        "code": "C4",
        "name_vi": "Chi phí không chính thức",
        "name_en": "Informal charges",
        "questions": [
            _q(
                "C4.1",
                CHOICE,
                "Doanh nghiệp có phải trả chi phí không chính thức khi làm thủ tục tại đơn vị không?",
                "Do you have to pay informal charges when completing procedures at the unit?",
                direction=NEG,
                choices=_FREQUENCY,
            ),
            _q(
                "C4.2",
                AGREE,
                "Hiện tượng nhũng nhiễu, gây phiền hà khi giải quyết thủ tục là phổ biến.",
                "Harassment and obstruction when procedures are handled are common.",
                direction=NEG,
            ),
            _q(
                "C4.3",
                YES_NO,
                "Công việc được giải quyết như mong đợi sau khi doanh nghiệp trả chi phí không chính thức.",
                "Once an informal charge is paid, the matter is settled as expected.",
                direction=NEG,
                required=False,
            ),
            _q(
                "C4.4",
                NUMBER,
                "Chi phí không chính thức ước tính cho một lô hàng (nghìn đồng).",
                "Estimated informal charges per consignment (thousand VND).",
                direction=NEG,
                required=False,
                unit=("nghìn đồng", "thousand VND"),
                scale=("0", "5000"),
            ),
            _q(
                "C4.5",
                AGREE,
                "Đơn vị xử lý nghiêm công chức có hành vi tiêu cực.",
                "The unit deals firmly with officers who behave improperly.",
            ),
        ],
    },
    {
        "code": "C5",
        "name_vi": "Cạnh tranh bình đẳng",
        "name_en": "Fair treatment and equal competition",
        "questions": [
            _q(
                "C5.1",
                AGREE,
                "Các doanh nghiệp được đối xử bình đẳng khi làm thủ tục hải quan.",
                "All businesses are treated equally in customs procedures.",
            ),
            _q(
                "C5.2",
                AGREE,
                "Doanh nghiệp lớn hoặc có quan hệ được ưu ái hơn trong giải quyết thủ tục.",
                "Large or well-connected businesses get favourable treatment.",
                direction=NEG,
            ),
            _q(
                "C5.3",
                AGREE,
                "Việc phân luồng kiểm tra hàng hóa là khách quan, minh bạch.",
                "The choice of inspection channel is objective and transparent.",
            ),
            _q(
                "C5.4",
                YES_NO,
                "Doanh nghiệp từng bị kiểm tra nhiều hơn các doanh nghiệp tương tự mà không được giải thích.",
                "You have been inspected more than similar businesses without explanation.",
                direction=NEG,
            ),
            _q(
                "C5.5",
                AGREE,
                "Thông tin về ưu đãi, miễn giảm được cung cấp như nhau cho mọi doanh nghiệp.",
                "Information on incentives and exemptions is given equally to every business.",
            ),
        ],
    },
    {
        "code": "C6",
        "name_vi": "Hỗ trợ doanh nghiệp",
        "name_en": "Support for businesses",
        "questions": [
            _q(
                "C6.1",
                AGREE,
                "Công chức hướng dẫn thủ tục tận tình, chính xác.",
                "Officers explain procedures helpfully and accurately.",
            ),
            _q(
                "C6.2",
                AGREE,
                "Vướng mắc của doanh nghiệp được giải đáp kịp thời.",
                "Businesses' questions are answered promptly.",
            ),
            _q(
                "C6.3",
                YES_NO,
                "Trong năm, doanh nghiệp đã tham gia hội nghị, tập huấn do đơn vị tổ chức.",
                "During the year, you attended a conference or training held by the unit.",
                required=False,
            ),
            _q(
                "C6.4",
                NUMBER,
                "Số ngày làm việc để nhận được văn bản trả lời vướng mắc của đơn vị.",
                "Working days to receive the unit's written answer to a query.",
                direction=NEG,
                required=False,
                unit=DAYS,
                scale=("0", "30"),
            ),
            _q(
                "C6.5",
                CHOICE,
                "Mức độ hài lòng chung với hoạt động hỗ trợ doanh nghiệp của đơn vị.",
                "Overall satisfaction with the unit's support for businesses.",
                choices=[
                    ("very_satisfied", "Rất hài lòng", "Very satisfied", 5),
                    ("satisfied", "Hài lòng", "Satisfied", 4),
                    ("normal", "Bình thường", "Normal", 3),
                    ("dissatisfied", "Không hài lòng", "Dissatisfied", 2),
                    ("very_dissatisfied", "Rất không hài lòng", "Very dissatisfied", 1),
                ],
            ),
        ],
    },
    {
        "code": "C7",
        "name_vi": "Thiết chế pháp lý",
        "name_en": "Legal institutions and law enforcement",
        "questions": [
            _q(
                "C7.1",
                AGREE,
                "Doanh nghiệp tin tưởng khiếu nại của mình được giải quyết công bằng.",
                "You trust that your complaints are handled fairly.",
            ),
            _q(
                "C7.2",
                AGREE,
                "Các quyết định xử phạt vi phạm hành chính được áp dụng đúng pháp luật.",
                "Administrative penalties are applied in accordance with the law.",
            ),
            _q(
                "C7.3",
                YES_NO,
                "Doanh nghiệp biết kênh để phản ánh, kiến nghị về hành vi của công chức.",
                "You know where to report concerns about an officer's conduct.",
            ),
            _q(
                "C7.4",
                AGREE,
                "Phản ánh, kiến nghị của doanh nghiệp được giải quyết đúng thời hạn.",
                "Businesses' complaints and petitions are resolved on time.",
            ),
            _q(
                "C7.5",
                CHOICE,
                "Khi có tranh chấp với đơn vị hải quan, doanh nghiệp thường làm gì?",
                "When you disagree with the customs unit, what do you usually do?",
                choices=[
                    ("complain", "Khiếu nại theo quy định", "File a formal complaint", 3),
                    ("dialogue", "Trao đổi trực tiếp với lãnh đạo đơn vị", "Talk to the unit's management", 2),
                    ("accept", "Chấp nhận, không phản ánh", "Accept it and say nothing", 1),
                    ("informal", "Tìm cách giải quyết không chính thức", "Seek an informal arrangement", 0),
                ],
            ),
        ],
    },
    {
        "code": "C8",
        "name_vi": "Vai trò của người đứng đầu",
        "name_en": "Role of the head of the unit",
        "questions": [
            _q(
                "C8.1",
                AGREE,
                "Lãnh đạo đơn vị sẵn sàng tiếp và lắng nghe doanh nghiệp.",
                "The head of the unit is willing to meet and listen to businesses.",
            ),
            _q(
                "C8.2",
                AGREE,
                "Lãnh đạo đơn vị giải quyết dứt điểm các vướng mắc doanh nghiệp nêu ra.",
                "The head of the unit settles the problems businesses raise.",
            ),
            _q(
                "C8.3",
                AGREE,
                "Lãnh đạo đơn vị quản lý công chức chặt chẽ, xử lý kịp thời sai phạm.",
                "The head of the unit manages officers closely and acts promptly on misconduct.",
            ),
            _q(
                "C8.4",
                YES_NO,
                "Trong năm, doanh nghiệp đã làm việc trực tiếp với lãnh đạo đơn vị.",
                "During the year, you dealt directly with the head of the unit.",
                required=False,
            ),
            _q(
                "C8.5",
                AGREE,
                "Cam kết của lãnh đạo đơn vị với doanh nghiệp được thực hiện đầy đủ.",
                "The commitments made by the head of the unit to businesses are honoured.",
            ),
        ],
    },
]

# Eight components of equal weight: 8 x 12.5 = 100.
DEFAULT_WEIGHT = Decimal("12.50")
