"""The fleet: every kiosk's state in one place, batch logouts, regular audit reports.

Built on MQTT (Eclipse Mosquitto in the docs and tests; any MQTT 5 broker works):

    topics.py      the topic layout and the JSON messages (commands, replies, events, status)
    ports.py       the seams: the daemon and metrics as the link sees them, the MQTT client
    connection.py  the one module that imports aiomqtt: TLS, passwords, the last will
    fakes.py       an in-memory broker for unit tests (testing.py: a real Mosquitto)
    outbox.py      the kiosk's on-disk buffer of audit events (nothing lost, ids for dedup)
    kiosk.py       the daemon's side: status, events, commands (runs beside, never in the way)
    admin.py       the admin's side: collect statuses, send a command, gather the replies
    collector.py   subscribes to every kiosk's events and stores them (SQLite, deduplicated)
    report.py      the regular audit built from the collected events (table, CSV, JSON, HTML)
    broker.py      the broker's ACL file for a list of kiosks
    command.py     `kioskguard fleet ...`
"""
