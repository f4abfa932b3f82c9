"""State changes of CDCI surveys, one module per topic: `access` (who may run surveys, survey
administrators), `campaigns` (campaigns and their questionnaires), `invitations` (invitations and their
codes), `emails` (invitation and reminder e-mails), `answering` (saving and submitting answers),
`review` (straight-lined responses) and `paper` (paper questionnaires). Each one is atomic and audited;
views, the admin, commands and tasks import them from their topic module.

`actor` is the user acting; None means the system itself (a Celery task, a management command), for
which no permission is checked. With a user, staff actions need department staff of the campaign's
department (or an administrator), invitation actions the survey-administrator capability.
"""

# The survey demo builder (demo.surveys) calls the services as `services.<name>`: these are its names.
from .access import grant_survey_administrator
from .answering import judge_responses as _judge
from .answering import parse_value, save_answers, submit
from .campaigns import close_campaign, create_campaign, open_campaign
from .invitations import invitation_code, mark_letters_sent, top_units_by_business

__all__ = [
    "_judge",
    "close_campaign",
    "create_campaign",
    "grant_survey_administrator",
    "invitation_code",
    "mark_letters_sent",
    "open_campaign",
    "parse_value",
    "save_answers",
    "submit",
    "top_units_by_business",
]
