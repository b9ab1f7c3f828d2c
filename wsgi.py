"""Entry point for gunicorn: `gunicorn wsgi:app`."""

from natteravn import create_app

app = create_app()
