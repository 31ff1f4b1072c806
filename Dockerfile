# One image for web (daphne), worker and beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app

# Only what the product needs: no .venv, var/, tests or .git from the build context.
COPY pyproject.toml README.md manage.py ./
COPY rollout ./rollout
COPY orchestrator ./orchestrator
COPY templates ./templates
COPY static ./static

# Editable, so that the settings' BASE_DIR is /app and templates/ and static/ are found.
# collectstatic only reads the settings, which need a SECRET_KEY outside DEBUG.
RUN pip install -e . \
    && SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --home-dir /app rollwright \
    && chown -R rollwright /app/var

USER rollwright
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "rollout.asgi:application"]
