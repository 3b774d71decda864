# The inventory image: one image for every role (api, worker, scheduler, db migrate).
#   docker build -t inventory:latest .
#   docker run --rm inventory:latest --help
# The bases are arguments, so that a base made locally (scripts/image-smoke.sh, where no
# registry is reachable) builds the same steps: the Python base needs python3 with venv,
# the assets base npm.
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# The web pages' assets (Swagger UI, ReDoc, GraphiQL), from the npm registry: the API
# serves them itself, so no page needs another host.
FROM ${NODE_IMAGE} AS assets
COPY scripts/fetch-assets.sh /fetch-assets.sh
RUN bash /fetch-assets.sh /assets

FROM ${PYTHON_IMAGE}

# In a container the API must listen beyond loopback to be reachable at all.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/inventory/bin:$PATH \
    INVENTORY_API__HOST=0.0.0.0

WORKDIR /src
COPY . .
COPY --from=assets /assets api/static/vendor
# The production install (README "Production install"): the same script as `make install`.
RUN bash scripts/install-app.sh /opt/inventory . \
    && useradd --create-home --uid 10001 --user-group inventory \
    && rm -rf /src

USER 10001
WORKDIR /home/inventory

EXPOSE 8000

# The process answers HTTP (the API role only; compose turns this off for the other roles).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('INVENTORY_API__PORT', '8000'), timeout=4)" || exit 1

ENTRYPOINT ["inventory"]
CMD ["api"]
