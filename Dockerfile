# syntax=docker/dockerfile:1
# Production image: gunicorn serving portal.wsgi, static files collected at build time and served by
# WhiteNoise, uploads in STORAGES["default"] (set AWS_STORAGE_BUCKET_NAME for S3). Configure it with the
# environment variables listed in README.md; it refuses to start without SECRET_KEY and an OIDC key
# (OIDC_RSA_PRIVATE_KEY_FILE for a mounted secret, or OIDC_RSA_PRIVATE_KEY_BASE64 for an --env-file).

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
COPY deploy ./deploy
# collectstatic imports the settings, which (DEBUG off) demand real secrets and check that the OIDC key is
# a real RSA key: give it a throwaway key made in this build step, never part of the image's environment.
RUN DEBUG=0 SECRET_KEY=collectstatic-only \
    OIDC_RSA_PRIVATE_KEY_BASE64="$(/venv/bin/python deploy/make_oidc_key.py --base64)" \
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
COPY --from=build /src/deploy ./deploy
# STATICFILES_DIRS names /app/static: without it `check --deploy` warns (staticfiles.W004) in the image.
COPY --from=build /src/static ./static
COPY --from=build /src/staticfiles ./staticfiles
RUN mkdir -p /app/media && chown 10001:10001 /app/media
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Run migrations as a separate release step: docker run IMAGE python manage.py migrate
# JSON logs with request ids (deploy/gunicorn.conf.py); WEB_CONCURRENCY sets the worker count.
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "portal.wsgi:application"]
