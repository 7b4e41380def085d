# Shoal in a container: the package (its C++ core built here), JupyterLab and the notebooks'
# libraries. docker-compose.yml runs a 3-broker cluster and JupyterLab from this image
# (docs/docker.md).
#
# Two stages: the first builds the wheel with the compiler and the -dev packages; the second
# installs it next to the shared libraries the extension and shoal-broker link against.
# Both are Debian bookworm, as scripts/system-packages.txt assumes.

FROM python:3.11-slim-bookworm AS build

# The build's Debian packages: scripts/system-packages.txt without the test and lint tools
# (GoogleTest, clang-format, redis-server, docker-compose). CMake and Ninja come from PyPI
# through the build backend (scikit-build-core), as in the Makefile.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      g++ make pkg-config libboost-dev libspdlog-dev libfmt-dev liblz4-dev libzstd-dev \
      libsnappy-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md CMakeLists.txt ./
COPY cpp cpp
COPY python python
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm

# What _core.so and shoal-broker load at run time (ldd on a bookworm build): spdlog and fmt,
# the codecs, libstdc++.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
      libspdlog1.10 libfmt9 liblz4-1 libzstd1 libsnappy1v5 zlib1g libstdc++6 \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/shoal-*.whl jupyterlab ipywidgets matplotlib tqdm \
 && rm -rf /wheels

# The compose file's cluster: `shoal` tools and the examples use shm://shoal without flags, and
# `shoal cluster status` looks at cluster "shoal".
ENV SHOAL_CLUSTER=shoal \
    SHOAL_BOOTSTRAP=shm://shoal

WORKDIR /work
COPY examples examples
CMD ["shoal", "--help"]
