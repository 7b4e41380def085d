# Shoal in a container: the package (with its C++ core built here), JupyterLab and the
# notebooks' libraries. docker-compose.yml runs a 3-broker cluster and JupyterLab from it.
FROM python:3.11-slim-bookworm

# The build's Debian packages (scripts/system-packages.txt, without the test-only ones).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      g++ make pkg-config libboost-dev libspdlog-dev libfmt-dev liblz4-dev libzstd-dev \
      libsnappy-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md CMakeLists.txt ./
COPY cpp cpp
COPY python python
RUN pip install --no-cache-dir . jupyterlab ipywidgets matplotlib tqdm

WORKDIR /work
COPY examples examples
# Brokers keep their logs under /data (a volume shared by every service of the compose file).
ENV SHOAL_CLUSTER=shoal
CMD ["shoal", "--help"]
