"""Customer surveys in the rubric's language: survey files, answer files and the comparison with QA
scores."""
