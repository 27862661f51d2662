# kioskguard daemon, headless, against a configured client.
# Build:  docker build -t kioskguard .
# Run:    docker run --rm -v /srv/kiosk-profiles:/profiles \
#           -v "$PWD/kioskguard.toml:/etc/kioskguard.toml:ro" \
#           -v kioskguard-state:/var/lib/kioskguard -v kioskguard-audit:/var/log/kioskguard \
#           -p 9077:9077 kioskguard run --config /etc/kioskguard.toml
# The arguments after the image name are kioskguard's (`run ...`, `check-config FILE`,
# `status ...`); a leading `kioskguard` is accepted too (`... kioskguard kioskguard run ...`).
# Without arguments the image runs `kioskguard run --config /etc/kioskguard.toml`.
# The profiles to guard are mounted in; [browser] headless_cold stays true (no display here).
# State (recovery state, fleet outbox) and the audit trail are volumes: `--rm` keeps them.
# Metrics: with [metrics] enabled = true in the file, the endpoint listens on 0.0.0.0:9077
# inside the container (KIOSKGUARD_METRICS__* below); publish it with -p 9077:9077 and
# firewall it to the Prometheus host.
FROM python:3.11-slim-bookworm

# Debian's Chromium: Playwright's own browser download is not needed (nor always reachable).
# chromium-headless-shell is the same build without the UI: closed profiles relaunch with it
# (browser.headless_shell) in a third of the time. Both come from one source package, one version.
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium chromium-headless-shell \
        fonts-liberation ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 kioskguard \
    && install -d -o kioskguard -g kioskguard -m 750 /var/lib/kioskguard /var/log/kioskguard
WORKDIR /opt/kioskguard
COPY pyproject.toml setup.py README.md LICENSE constraints.txt ./
COPY agent ./agent
COPY config ./config
COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
# The exact dependency versions of the release (constraints.txt, `make constraints`); no extras:
# the simulator's dependencies are not needed to guard profiles.
RUN pip install --no-cache-dir --constraint constraints.txt . \
    && kioskguard --version

USER kioskguard
ENV KIOSKGUARD_BROWSER__EXECUTABLE=/usr/bin/chromium \
    KIOSKGUARD_GENERAL__STATE_DIR=/var/lib/kioskguard \
    KIOSKGUARD_GENERAL__AUDIT_LOG=/var/log/kioskguard/audit.jsonl \
    KIOSKGUARD_IDLE__ENABLED=false \
    KIOSKGUARD_METRICS__ALLOW_REMOTE=true \
    KIOSKGUARD_METRICS__LISTEN=0.0.0.0:9077
VOLUME ["/var/lib/kioskguard", "/var/log/kioskguard"]
EXPOSE 9077
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["run", "--config", "/etc/kioskguard.toml"]
