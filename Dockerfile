# Sightline API / worker image. Build the web client first (npm ci && npm run build in client/).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY service ./service
RUN uv sync --frozen --no-dev
COPY client/dist ./client/dist
ENV SIGHTLINE_HOST=0.0.0.0 SIGHTLINE_PORT=8000
EXPOSE 8000
CMD ["uv", "run", "--no-dev", "sightline", "serve"]
