# kioskguard daemon, headless, against a configured client.
# Build:  docker build -t kioskguard .
# Run:    docker run --rm -v /srv/kiosk-profiles:/profiles -v ./kioskguard.toml:/etc/kioskguard.toml:ro \
#           kioskguard run --config /etc/kioskguard.toml
# The profiles to guard are mounted in; [browser] headless_cold stays true (no display here).
FROM python:3.11-slim-bookworm

# Debian's Chromium: Playwright's own browser download is not needed (nor always reachable).
# chromium-headless-shell is the same build without the UI: closed profiles relaunch with it
# (browser.headless_shell) in a third of the time. Both come from one source package, one version.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium chromium-headless-shell \
        fonts-liberation ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 kioskguard
WORKDIR /opt/kioskguard
COPY pyproject.toml setup.py README.md LICENSE constraints.txt ./
COPY agent ./agent
COPY config ./config
# The exact dependency versions of the release (constraints.txt, `make constraints`); no extras:
# the simulator's dependencies are not needed to guard profiles.
RUN pip install --no-cache-dir --constraint constraints.txt . \
    && kioskguard --version

USER kioskguard
ENV KIOSKGUARD_BROWSER__EXECUTABLE=/usr/bin/chromium \
    KIOSKGUARD_GENERAL__STATE_DIR=/home/kioskguard/state \
    KIOSKGUARD_IDLE__ENABLED=false
ENTRYPOINT ["kioskguard"]
CMD ["run", "--config", "/etc/kioskguard.toml"]
