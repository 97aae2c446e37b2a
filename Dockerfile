# Crosscheck served by gunicorn, static files by WhiteNoise: one container, no
# separate web server. docker-compose.yml supplies the database and settings.
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
# pyproject.toml installs no package of its own (packages = []): the apps run
# from /app, the working directory of manage.py and gunicorn.
# With redis-py: docker-compose.yml runs Redis as the page cache (CACHE_URL).
COPY pyproject.toml README.md ./
RUN pip install ".[redis]"

COPY . .

# Build-time settings only: collectstatic needs a SECRET_KEY to import
# settings, and DEBUG=0 selects the hashed, compressed storage served at run time.
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

RUN useradd --system --no-create-home crosscheck
# Where uploaded spreadsheets wait for the worker (CLAIMS_IMPORT_DIR): owned
# by the app's user, so that the compose volume mounted there starts so too.
RUN mkdir -p /app/var/imports && chown -R crosscheck /app/var
USER crosscheck

EXPOSE 8000

# Migrations on every start are safe (already-applied ones are skipped) and
# keep the schema in step with the image; migrate also creates the page
# cache's table and empties the cache (crosscheck/cache.py).
CMD ["sh", "-c", "python manage.py migrate --noinput && exec gunicorn -c gunicorn.conf.py crosscheck.wsgi:application"]
