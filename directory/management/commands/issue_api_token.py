from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from directory.models import User
from directory.services import issue_api_token


class Command(BaseCommand):
    # A property: argparse cannot format lazy text. (The stubs type BaseCommand.help as a plain attribute.)
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Issue an API token to USERNAME. Only the key is printed on stdout, so a script can capture it; "
            "it is shown once and cannot be recovered (only its hash is stored)."
        )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help=_("What the token is for, e.g. 'VNACCS bridge'."))

    def handle(self, *args, username: str, name: str, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Unknown user: %(username)s.") % {"username": username})
        if not user.is_active:
            raise CommandError(_("User %(username)s is inactive.") % {"username": username})
        try:
            token, key = issue_api_token(user, name, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages))
        self.stdout.write(key)
        self.stderr.write(
            _("Token “%(name)s” issued to %(username)s. Store the key now: it will not be shown again.")
            % {"name": token.name, "username": user.username}
        )
