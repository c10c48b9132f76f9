import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mynatrust.settings")

application = get_wsgi_application()

from mynatrust.processes import process_started  # noqa: E402  (needs Django set up)

process_started()
