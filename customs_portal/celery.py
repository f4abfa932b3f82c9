"""The Celery application. Without CELERY_BROKER_URL tasks run eagerly (settings.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "customs_portal.settings")

app = Celery("customs_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
