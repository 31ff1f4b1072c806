"""Prometheus metrics (G3): ``/metrics`` in Prometheus' text format.

- ``runtime``: what only a process can measure (engine step durations, queue lag, websocket
  clients), kept in prometheus-client's multiprocess files so the web server reports the
  workers' measurements too;
- ``collector``: what the database knows, computed at scrape time (upgrades, instances, batch
  and health-wait durations, rollbacks, gate verdicts, webhook deliveries), exact whichever
  process is scraped;
- ``views``: the endpoint, behind a bearer token or an address allow-list.
"""
