"""Flask plumbing below every view: security headers and CSRF, sign-in, error pages, the request's
database session, what a request asks for (fragment or page) and plan uploads."""
