"""Pages of CDCI surveys, one module per topic: `answering` (the public questionnaire reached by an
invitation code), and the staff pages: `campaigns`, `invitations`, `review`, `paper` and `progress`.

Thin views: every state change goes through surveys.services, every read for staff through
surveys.selectors. Campaigns are looked up in the user's scope (staff.campaign_in_scope): out of scope is
404; in scope but not allowed (the invitation list without the survey-administrator capability) is 403.
"""
