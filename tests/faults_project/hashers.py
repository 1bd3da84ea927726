"""A password hasher that records each password check (one byte appended to
the file named by FAULTS_HASH_LOG), so tests can count them across workers,
and takes as long as a real one (FAULTS_HASH_SECONDS, default 0.2)."""

import os
import time

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingMD5PasswordHasher(MD5PasswordHasher):
    def verify(self, password, encoded):
        fd = os.open(os.environ["FAULTS_HASH_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
        time.sleep(float(os.environ.get("FAULTS_HASH_SECONDS", "0.2")))
        return super().verify(password, encoded)
