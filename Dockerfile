# syntax=docker/dockerfile:1
# Production image: gunicorn serving portal.wsgi, static files collected at build time and served by
# WhiteNoise, uploads in STORAGES["default"] (set AWS_STORAGE_BUCKET_NAME for S3). Configure it with the
# environment variables listed in README.md; it refuses to start without SECRET_KEY and an OIDC key.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml ./
COPY portal ./portal
# Install the pinned dependencies only: the portal itself runs from /app, not from site-packages.
RUN /venv/bin/pip install . && /venv/bin/pip uninstall --yes oauth-developer-portal
COPY manage.py ./
COPY templates ./templates
COPY static ./static
# collectstatic imports the settings, which (DEBUG off) demand real secrets: give it throwaway ones that
# exist only in this build step and are never part of the image's environment.
RUN DEBUG=0 SECRET_KEY=collectstatic-only OIDC_RSA_PRIVATE_KEY=collectstatic-only \
    CLIENT_SECRET_HMAC_KEYS=build:collectstatic-only-collectstatic-only \
    /venv/bin/python manage.py collectstatic --noinput

FROM python:3.11-slim-bookworm AS runtime
ENV PATH="/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=0 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home portal
WORKDIR /app
COPY --from=build /venv /venv
COPY --from=build /src/manage.py ./
COPY --from=build /src/portal ./portal
COPY --from=build /src/templates ./templates
COPY --from=build /src/staticfiles ./staticfiles
RUN mkdir -p /app/media && chown 10001:10001 /app/media
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Run migrations as a separate release step: docker run IMAGE python manage.py migrate
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
