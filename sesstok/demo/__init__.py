"""The runnable demo site: ``sesstok demo [--port N] [--db PATH] [--redis URL]``.

A small Django project on SQLite with sesstok's login flows at the root, a
home page that shows each way in, and curl examples printed at start. It is
a demonstration, not a deployment: see :mod:`sesstok.demo.settings`.
"""
