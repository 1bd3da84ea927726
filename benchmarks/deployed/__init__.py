"""A small DRF project that bench_deployed.py serves with gunicorn and uvicorn."""
