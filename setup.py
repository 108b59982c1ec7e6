"""Which packages the qa_app distribution holds (the rest of the metadata is in pyproject.toml).

Every folder under qa_app/ is a package (templates included: their files are package data), and
four folders at the top of the repository are mapped into it so an installed qa_app finds them
beside its code.
"""

from setuptools import find_namespace_packages, setup

SHIPPED = {
    "qa_app.rubrics": "rubrics",  # rubric files and, in surveys/, the customer survey files
    "qa_app.static": "static",  # CSS, JavaScript and the vendored htmx and Pico
    "qa_app.outreach": "outreach",  # the default outreach rules
    "qa_app.experiments": "experiments",  # the example and demo experiment plans
}


def shipped_packages() -> list[str]:
    """The mapped folders and their sub-folders, as package names."""
    packages = []
    for package, folder in SHIPPED.items():
        packages.append(package)
        packages += [f"{package}.{sub}" for sub in find_namespace_packages(where=folder)]
    return packages


setup(
    packages=find_namespace_packages(include=["qa_app", "qa_app.*"], exclude=["*.__pycache__"])
    + shipped_packages(),
    package_dir=SHIPPED,
)
