"""The web app's static files, installed as the package data of ``qa_app.static``."""
