# GenLoop server image: REST API, Studio and the OpenAI-compatible gateway on one port.
#   docker build -t genloop .                                  # server: PostgreSQL, S3, Redis extras
#   docker build -t genloop-train --build-arg EXTRAS=postgres,s3,redis,train .   # adds TRL/PEFT (CPU torch)
# Multi-stage: wheels are built in the first stage; the runtime stage has no compiler and runs as a
# non-root user. Nothing is downloaded at run time.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ARG EXTRAS=postgres,s3,redis
# The CPU build of torch, so an image with the train extra carries no CUDA libraries; a GPU image sets this to
# https://download.pytorch.org/whl/cu124 (or leaves torch to PyPI's default CUDA build).
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/genloop \
 && case ",${EXTRAS}," in *,train,*) /opt/genloop/bin/pip install --index-url "${TORCH_INDEX}" torch ;; esac \
 && /opt/genloop/bin/pip install ".[${EXTRAS}]"

FROM python:${PYTHON_VERSION}-slim AS runtime
LABEL org.opencontainers.image.title="GenLoop" \
      org.opencontainers.image.description="The GenOps loop: data, prompts, evaluation, tuning, registry, gateway, Studio" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 genloop \
 && useradd --system --uid 10001 --gid genloop --home-dir /var/lib/genloop --create-home genloop
COPY --from=build /opt/genloop /opt/genloop
ENV PATH=/opt/genloop/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GENLOOP_HOME=/var/lib/genloop
USER 10001:10001
WORKDIR /var/lib/genloop
VOLUME ["/var/lib/genloop"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2); sys.exit(0)"]
ENTRYPOINT ["genloop"]
CMD ["server", "--host", "0.0.0.0", "--port", "8000"]
