# Firehouse in a container: `docker build -t firehouse .`, then see the README's "Deployment".
# One image for both set-ups: SQLite in the /data volume (one replica), or PostgreSQL (FIREHOUSE_DATABASE_URL)
# with several replicas in HTTP mode. The process runs as an unprivileged user and answers /healthz on 3000
# in either mode (HTTP mode beside /slack/events; Socket Mode on the health port, set to the same 3000).

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY message_templates ./message_templates
COPY drills ./drills
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FIREHOUSE_DATABASE_URL=sqlite:////data/firehouse.db \
    FIREHOUSE_HEALTH_PORT=3000 \
    FIREHOUSE_LOG_FORMAT=json
COPY --from=build /wheels /wheels
# The postgres extra (psycopg 3) too, so the same image scales out.
RUN set -eu; wheel="$(ls /wheels/firehouse-*.whl)"; \
    pip install --no-cache-dir "${wheel}[postgres]"; \
    rm -rf /wheels; \
    useradd --system --uid 10001 --user-group --home-dir /data --no-create-home --shell /usr/sbin/nologin firehouse; \
    mkdir -p /data /etc/firehouse; \
    chown firehouse:firehouse /data
# firehouse.toml is read from the working directory: mount yours at /etc/firehouse/firehouse.toml.
WORKDIR /etc/firehouse
VOLUME ["/data"]
USER firehouse:firehouse
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('FIREHOUSE_HEALTH_PORT', '3000') + '/healthz', timeout=4)"]
CMD ["firehouse", "serve", "--port", "3000"]
