# The bot in a container: `docker compose up -d` (compose.yaml) runs it with PostgreSQL 17;
# alone, `docker run --env-file .env -v journal-data:/data IMAGE` uses the embedded database
# in the /data volume. Any other command: `docker compose exec bot journal backup`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A user of its own (no login, no root); the uid is fixed so that a host folder mounted for
# backups can be given to it: `chown 10001:10001 /mnt/usb/journal`.
ARG UID=10001
RUN groupadd --system --gid "$UID" journal \
    && useradd --system --uid "$UID" --gid journal --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin journal

WORKDIR /src
COPY . .
RUN pip install . \
    && mkdir -p /data /backups /backup-copy \
    && chown journal:journal /data /backups /backup-copy \
    && chmod 0700 /data /backups /backup-copy

USER journal
WORKDIR /data
ENV DATA_DIR=/data
VOLUME ["/data"]
# The webhook port (WEBHOOK_PORT), when WEBHOOK_URL is set; long polling needs none.
EXPOSE 8080

ENTRYPOINT ["journal"]
CMD ["run"]
