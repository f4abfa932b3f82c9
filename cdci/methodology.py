"""The CDCI method in words, condensed from docs/cdci-methodology.md, for the public methodology page and
the methodology sheet of the Excel report (one text, translated like every other string).

Each section: a title, paragraphs, and formulas (shown as written, not translated).
"""

from django.utils.translation import gettext_lazy as _

METHOD_SECTIONS = [
    {
        "id": "inputs",
        "title": _("1. What goes in"),
        "paragraphs": [
            _(
                "Only valid responses count: one business's answers about one unit it dealt with. Each answer is a "
                "number: agreement 1-5, yes 1 / no 0, a number as given (hours, days, times), or the score of the "
                "chosen option. A blank answer is no answer."
            ),
            _(
                "Each question belongs to a component index and is either positive (better when higher) or negative "
                "(better when lower, e.g. informal charges or hours of waiting). The component weights, in percent, "
                "sum to 100."
            ),
        ],
        "formulas": [],
    },
    {
        "id": "means",
        "title": _("2. Question means"),
        "paragraphs": [
            _(
                "For each unit and question, the mean of the answers of the unit's respondents. When the campaign "
                "weights by segment, in-province and out-of-province respondents are reweighted so that their mix "
                "matches the mix of businesses invited to rate the unit."
            ),
        ],
        "formulas": ["X(u, q) = Σ w_i x(i, q) / Σ w_i", "w_i = P_s / (n_s / n)"],
    },
    {
        "id": "standardisation",
        "title": _("3. Standardisation to 1-10"),
        "paragraphs": [
            _(
                "Each question is put on a 1-10 scale across the units ranked: the best unit gets 10 and the worst 1. "
                "When all units are equal on a question, every unit gets 10. The minimum and maximum can be taken over "
                "this campaign and the last two published ones, so that scores compare between years."
            ),
        ],
        "formulas": [
            "positive: S = 1 + 9 (X − min) / (max − min)",
            "negative: S = 10 − 9 (X − min) / (max − min)",
        ],
    },
    {
        "id": "scores",
        "title": _("4. Component indexes, business score and total"),
        "paragraphs": [
            _(
                "A component index is the mean of its standardised questions. The business score is the weighted "
                "mean of the component indexes, scaled to 100. The total blends the business score with the "
                "department's own assessment of the unit (0-100): by default 70% and 30%, as in Quảng Ninh since "
                "2024; a unit without an assessment is scored on the survey alone."
            ),
        ],
        "formulas": ["I(u, k) = mean S(u, q), q ∈ k", "B(u) = Σ w_k I(u, k) / 10", "T(u) = b B(u) + (1 − b) A(u)"],
    },
    {
        "id": "rank",
        "title": _("5. Rank and tier"),
        "paragraphs": [
            _(
                "Rank 1 is the highest total; totals equal at two decimals share the best rank. Tiers: Very good from "
                "90, Good from 80, Fair from 65, Average below. Each unit also shows on how many components it ranks "
                "first, and its number of valid responses."
            ),
        ],
        "formulas": [],
    },
    {
        "id": "change",
        "title": _("6. Change since last year and why"),
        "paragraphs": [
            _(
                "For units ranked in the last published year: the change of total, of rank (positive means moved up) "
                "and of each component index. The change of total is split into the contribution of each component, "
                "of the department's assessment, and a remainder for rounding; the parts add up to the change."
            ),
        ],
        "formulas": ["component k: (b₁ w₁ I₁ − b₀ w₀ I₀) / 10", "assessment: (1 − b₁) A₁ − (1 − b₀) A₀"],
    },
    {
        "id": "uncertainty",
        "title": _("7. How sure the ranking is"),
        "paragraphs": [
            _(
                "A ranking from a few hundred responses is uncertain. Within each unit, respondents are drawn again "
                "with replacement, as many as it has, and everything is recomputed, standardisation included. "
                "Repeated 1,000 times with a fixed seed, this gives an interval (95%) for each unit's total and "
                "rank; the same data always give the same intervals."
            ),
            _(
                "Neighbouring units whose intervals overlap are marked statistically tied: their order could be "
                "reversed by chance alone. Near the top or bottom of a small sample, a point estimate can sit "
                "slightly outside its own interval; the percentile interval is reported without correction."
            ),
        ],
        "formulas": [],
    },
    {
        "id": "publication",
        "title": _("8. Publication"),
        "paragraphs": [
            _(
                "Department staff review the computed draft and publish it with a note. A publication is an "
                "immutable snapshot of the numbers, the method settings and the questionnaire, with a SHA-256 "
                "checksum; a correction is published as a new version with its reason, and earlier versions stay "
                "visible. Respondents are never identified: only aggregates per unit are shown."
            ),
            _(
                "Beside each unit, the satisfaction rate is the share of post-clearance ratings at levels 4-5 "
                "(satisfied, very satisfied) given to the branch for declarations cleared in the same year."
            ),
        ],
        "formulas": [],
    },
]
