# One image for web, worker and beat (docker-compose.yml chooses the command).
# Front-end packages are installed from the npm registry in a build stage; only their files are kept.
FROM node:20-slim AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /assets/node_modules/chart.js/dist /app/node_modules/chart.js/dist
# Static files and compiled translations are part of the image; SECRET_KEY here is for the build only.
RUN SECRET_KEY=build-only DEBUG=false python manage.py compilemessages --ignore=.venv -v 0 \
    && SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput -v 0
RUN useradd --create-home portal && chown -R portal /app
USER portal
EXPOSE 8000
CMD ["gunicorn", "customs_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
