import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.settings")
application = get_wsgi_application()

from dangjian.core.warmup import warm_up  # noqa: E402

# Each worker imports this module as it starts (gunicorn without --preload): load what its
# first requests would otherwise wait for.
warm_up()

# What is loaded now lives as long as the worker: move it out of the collector's sight, or
# each full collection walks all those objects again, none of them garbage.
gc.freeze()
