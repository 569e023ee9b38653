"""Django's SQLite backend with cheaper conversion of stored values (see ``base``)."""
