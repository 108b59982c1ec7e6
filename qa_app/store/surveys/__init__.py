"""Customer surveys: survey files, per-call links and answers, and the QA-versus-customer
comparison's data."""
