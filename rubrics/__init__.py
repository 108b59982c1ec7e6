"""The shipped rubric files, installed as the package data of ``qa_app.rubrics``."""
