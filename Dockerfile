# One image for the API, the worker and the migration job (docker-compose.temporal.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The pinned dependency tree (`make lock`) in a layer of its own, rebuilt only when it changes.
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt
COPY . .
# The processes run from /app (uvicorn, `python worker.py` and `python -m db.migrate` put the
# working directory first on sys.path), so files that are not Python modules — Alembic's
# migrations, the dashboard's templates — are found whether or not the wheel carries them.
# Bytecode compiled here, since PYTHONDONTWRITEBYTECODE keeps Python from writing it: the
# worker's sandbox imports the workflow modules afresh for every workflow it loads.
RUN pip install . --no-deps \
    && python -m compileall -q /app \
    && useradd --create-home --uid 10001 campaign

USER campaign
EXPOSE 8000
CMD ["uvicorn", "api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--log-config", "observability/logging.json"]
