"""The parts of ``bench/rollout_overhead.py``, one figure per module: ``planning`` (1),
``through_celery`` (2 and 4), ``queries`` (3); ``fleet`` builds the scale sets and ``report``
prints the summary."""
