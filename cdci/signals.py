"""A new survey campaign gets its CDCI method row at once, with the defaults. The method is then a stored
fact of the campaign from its first day, not code defaults that a later release could change under a
campaign already open. surveys does not know the CDCI exists (the imports go cdci -> surveys)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from surveys.models import Campaign

from .models import CdciMethod


@receiver(post_save, sender=Campaign, dispatch_uid="cdci_method_for_new_campaign")
def create_method_for_new_campaign(sender, instance: Campaign, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        CdciMethod.objects.get_or_create(campaign=instance)
