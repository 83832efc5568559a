"""gunicorn settings for the portal (the image's CMD and the tests use this file).

JSON logs: gunicorn's error and access logs go through portal.logs.JsonFormatter, so every line is one
JSON object; access lines carry the X-Request-ID the response sends (set by portal.logs), and the path
without its query string.
"""

import os
import sys
from pathlib import Path

# The config file is read before gunicorn puts the app's directory on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.logs import gunicorn_logconfig  # noqa: E402

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# A worker stuck on a dead dependency is replaced instead of holding the instance hostage.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
logconfig_dict = gunicorn_logconfig(os.environ.get("LOG_LEVEL", "INFO"))
# Behind the balancer: trust X-Forwarded-* only from it (loopback in the tests, the pod network in compose).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket defaults to one path per user: several instances on one host would collide.
control_socket_disable = True
