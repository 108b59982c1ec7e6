"""Calibration pages: sessions (create, assign, lock), scoring a session's calls, the feedback
and results pages, and customer panelists answering through their invite link.

One blueprint (``sessions.bp``); the modules that add routes to it are imported here, in this
order, so importing any one of them registers them all.
"""

# isort: off
from qa_app.views.calibration import sessions  # noqa: F401 - defines the blueprint
from qa_app.views.calibration import scoring  # noqa: F401 - needs sessions
from qa_app.views.calibration import feedback, results  # noqa: F401 - need scoring
# isort: on
