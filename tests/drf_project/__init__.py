"""A small DRF API the DRF tests drive: through APIClient in the test
process (ROOT_URLCONF="drf_project.urls") and through a real server process
(settings: drf_project.settings)."""
