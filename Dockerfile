# Sightline API / worker image. Build the web client first (npm ci && npm run build in client/).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY service ./service
# Runtime dependencies only: no dev group and no `embedded` extra (the database is DATABASE_URL's, not embedded).
RUN uv sync --frozen --no-dev
COPY client/dist ./client/dist
# Production mode by default: no public development key, secure defaults. Without SIGHTLINE_SECRET_KEY the
# installation's own key is made in the data directory at first start: keep it on a volume (and back it up),
# or set SIGHTLINE_SECRET_KEY (required when several containers share one database).
ENV SIGHTLINE_ENV=production SIGHTLINE_DATA_DIR=/var/lib/sightline SIGHTLINE_HOST=0.0.0.0 SIGHTLINE_PORT=8000 \
    PATH="/app/.venv/bin:$PATH"
# The service runs as an unprivileged user that owns only its data directory: the code in /app stays root's
# and read-only to it. Commands run the environment's `sightline` directly (no `uv run`: nothing to sync).
RUN groupadd --system --gid 10001 sightline \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/sightline --no-create-home \
        --shell /usr/sbin/nologin sightline \
    && mkdir -p -m 0700 /var/lib/sightline \
    && chown sightline:sightline /var/lib/sightline
USER 10001:10001
VOLUME /var/lib/sightline
EXPOSE 8000
CMD ["sightline", "serve"]
