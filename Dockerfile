# syntax=docker/dockerfile:1
# GradCast image: docker build -t gradcast . && docker run --rm -p 8000:8000 gradcast

ARG PYTHON_VERSION=3.11

# ---- build: a virtualenv with the CPU-only torch wheel and the app ----
FROM python:${PYTHON_VERSION}-slim AS build
# PyPI's Linux torch is a CUDA build of several GB; the CPU wheel index keeps the image near 1 GB.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY gradcast ./gradcast
COPY static ./static
COPY templates ./templates
# The server's dependencies are the package's `server` extra (the bare package is the torch-only client).
RUN pip install "./[server]"

# ---- runtime: the virtualenv only, a non-root numeric user ----
FROM python:${PYTHON_VERSION}-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GRADCAST_HOST=0.0.0.0 \
    GRADCAST_PORT=8000 \
    GRADCAST_DATA_DIR=/data
COPY --from=build /opt/venv /opt/venv
RUN mkdir -p /data && chown 10001:10001 /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# slim has no curl: Python asks /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
# Exec form: SIGTERM reaches the server, which stops runs and closes sockets within 5 s. One worker process.
STOPSIGNAL SIGTERM
CMD ["gradcast", "serve", "--host", "0.0.0.0", "--port", "8000"]
