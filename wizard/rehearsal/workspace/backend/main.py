"""RaptorFlow backend entry point: `python -m uvicorn main:app` from this folder."""

from app.api import create_app

app = create_app()
