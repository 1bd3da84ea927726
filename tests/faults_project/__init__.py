"""The project tests/test_faults_*.py run as real server processes (gunicorn,
uvicorn) against real PostgreSQL, SQLite files and redis-servers; configured
through environment variables (see settings.py and tests/_servers.py)."""
