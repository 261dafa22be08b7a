"""What the API and the worker tell operators: log lines (logs.py) and the worker's metrics
(worker_metrics.py). The API's own metrics live with its middleware in api/telemetry.py."""
