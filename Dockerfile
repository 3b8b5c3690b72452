# The pulselake code location: `dagster api grpc` serving pipelines.definitions, and the image
# every run pod of the K8sRunLauncher uses (deploy/helm/values.yaml, docs/deploy.md).
#   docker build -t registry.example.com/pulselake/code-location:0.1.0 .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home

# The CPU build of torch, pinned: run pods do CPU work (and pulselake personalize's fine-tuning);
# GPU training runs in the trainer image. An unpinned torch from PyPI would pull CUDA wheels.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /opt/pulselake
COPY pyproject.toml README.md ./
COPY pipelines pipelines
COPY assets assets
COPY schemas schemas
COPY models models
COPY simulator simulator
# The package with its Kubernetes extra (dagster-k8s, dagster-postgres); torch is already there.
RUN pip install ".[k8s]" && mkdir -p "$DAGSTER_HOME"

EXPOSE 4000
CMD ["dagster", "api", "grpc", "-m", "pipelines.definitions", "-h", "0.0.0.0", "-p", "4000"]
