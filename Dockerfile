# Container image for the MAP add-in server: gunicorn serving addin_server.wsgi:app.
#   docker build -t map-addin .
#   docker run --rm --env-file prod.env map-addin flask --app addin_server db-upgrade   # once per release
#   docker run -d -p 8000:8000 --env-file prod.env map-addin                          # any number of these
# Settings come from the environment (ADDIN_*; see docs/deploy.md). The image holds no secrets.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Only what the wheel needs: the package and the folders pyproject force-includes into it.
COPY pyproject.toml README.md ./
COPY addin_server ./addin_server
COPY templates ./templates
COPY static ./static
COPY manifest ./manifest
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ADDIN_AUTH_MODE=production \
    PORT=8000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin addin
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY gunicorn.conf.py ./
USER addin
EXPOSE 8000
# Liveness: the process and its database answer. Load balancers should route on /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]
CMD ["gunicorn", "-c", "/app/gunicorn.conf.py", "addin_server.wsgi:app"]
