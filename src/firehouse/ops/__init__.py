"""Running Firehouse in production: readiness probes, Prometheus metrics, logs and the self-check."""
