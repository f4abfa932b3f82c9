from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.choices import CharterCode

# The commitments measured from a declaration's stage times, in the order pages list them.
DECLARATION_COMMITMENTS = (CharterCode.REGISTRATION, CharterCode.DOCUMENT_CHECK, CharterCode.PHYSICAL_INSPECTION)
# Measured on the businesses' written inquiries (charter.replies), in whole working days.
REPLY_COMMITMENTS = (CharterCode.INQUIRY_REPLY,)
# No data on tax-exemption dossiers reaches the portal.
NO_DATA = (CharterCode.TAX_EXEMPTION,)


class Level(models.IntegerChoices):
    """The unit a compliance row is about (charter figures stop at the team: the charter binds units)."""

    DEPARTMENT = 1, _("Department")
    BRANCH = 2, _("Branch")
    TEAM = 3, _("Team")
