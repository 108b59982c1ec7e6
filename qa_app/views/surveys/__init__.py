"""Customer survey pages: the lead's survey page and the customer's answer page (a link, no
login)."""
