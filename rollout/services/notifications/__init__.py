"""Notifications (G2): targets (webhooks, Apprise URLs) and the delivery of their queues."""
